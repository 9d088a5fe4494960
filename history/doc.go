// Package history keeps fixed-memory time series: per series a ring of raw
// samples plus per-minute, hourly and daily rollups (min/avg/max/last/count).
// It knows nothing of where values come from; the agent appends values and
// the TUI and checks query them. It does not persist anything to disk.
//
// # Rings and memory
//
// A Series' rings start empty and grow toward their retention as data
// arrives, doubling from 32 slots; once a ring is full, Append never
// allocates again (and it allocates only O(log N) times before). Growing
// rather than allocating at full size keeps a young series small, and with
// it the live heap the garbage collector sizes its target from: rings
// allocated at full size count as live even while untouched, which let
// about 4 MiB more garbage accumulate in the console. Each ring keeps the
// newest N entries that hold data:
//
//   - raw samples: 16 bytes each (unix nanoseconds + value)
//   - rollup buckets (minute, hour, day): 48 bytes each (start, min, max,
//     sum, last, count)
//
// With DefaultRetention (600 raw samples, 1440 minutes, 720 hours, 366
// days) one series takes 600*16 + (1440+720+366)*48 = 130,848 bytes of ring
// storage plus a 312-byte header: 131,160 bytes, about 128 KiB, on 64-bit
// platforms, once all rings are full (the day ring fills in a year).
// Retention.SeriesBytes computes this bound for any retention (a test pins
// the default figure). A Store bounds the number of series, so the whole history is
// bounded by maxSeries * SeriesBytes (1,000 default series: about 125 MiB;
// pick a smaller Retention for many series).
//
// # Buckets
//
// Rollup buckets are aligned to UTC minute, hour and day boundaries. A bucket
// rolls when a sample falls into a later bucket. Buckets in which no sample
// fell are not stored, so queries return only buckets that hold data, each
// with its own start time: a gap in collection shows as missing points,
// never as stale values. Because rings keep the newest N buckets with data,
// after a gap a ring can reach further back than N bucket widths.
//
// Avg is sum/count, clamped to [Min, Max] so float rounding (or a sum that
// overflows to ±Inf) never yields an average outside the bucket's range.
//
// # Dropped samples
//
// Append drops, and counts in SeriesStats:
//   - non-finite values (NaN, +Inf, -Inf): they would poison sum and avg;
//   - out-of-order samples whose UTC minute is before the minute of the
//     newest sample so far (their bucket has already rolled). A late sample
//     inside the current minute is accepted into the rollups and inserted
//     into the raw ring in time order; it does not change Last, which is
//     always the value of the newest sample;
//   - samples dated before 1700 or from 2200 on, which keeps every time
//     representable in int64 nanoseconds.
//
// Returned times are in UTC and carry no monotonic clock reading.
//
// A Series is not safe for concurrent use; a Store is.
package history
