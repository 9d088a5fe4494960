package history

// sample is one raw value. t is unix nanoseconds.
type sample struct {
	t int64
	v float64
}

// bucket is one rollup slot. start is the unix second at which the bucket
// begins (aligned to its ring's unit); sum/count gives the average.
type bucket struct {
	start int64
	min   float64
	max   float64
	sum   float64
	last  float64
	count uint32
}

// initialSlots is a ring's first allocation; it doubles from there to its
// retention as it fills (see grow).
const initialSlots = 32

// grow returns buf, which is full, in a larger slice: twice as long, at
// most size. Only a ring that has never wrapped grows, so its contents
// start at index 0 and copy in order.
func grow[T any](buf []T, size int) []T {
	nb := make([]T, min(max(2*len(buf), initialSlots), size))
	copy(nb, buf)
	return nb
}

// rawRing holds the newest size samples in time order. buf grows toward
// size as samples arrive, so that memory (and the heap the GC sees as
// live, which sets how much garbage it lets accumulate) follows what the
// series holds, not what it may hold in a month.
type rawRing struct {
	buf  []sample
	size int // retention: the most samples held
	head int // index of the oldest sample
	n    int // number of samples held
}

func (r *rawRing) idx(i int) int {
	j := r.head + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return j
}

func (r *rawRing) at(i int) *sample { return &r.buf[r.idx(i)] }

// insert adds s keeping time order. s is normally the newest sample; a late
// sample is moved back into place, which is bounded by the ring size. A late
// sample older than everything in a full ring is not kept.
func (r *rawRing) insert(s sample) {
	if r.size == 0 {
		return
	}
	if r.n == len(r.buf) && r.n < r.size {
		r.buf = grow(r.buf, r.size)
	}
	if r.n == len(r.buf) {
		if s.t < r.buf[r.head].t {
			return
		}
		r.head = r.idx(1)
		r.n--
	}
	i := r.n
	r.n++
	for i > 0 {
		prev := r.at(i - 1)
		if prev.t <= s.t {
			break
		}
		*r.at(i) = *prev
		i--
	}
	*r.at(i) = s
}

// search returns the logical index of the first sample with t >= ns.
func (r *rawRing) search(ns int64) int {
	lo, hi := 0, r.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.at(mid).t < ns {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// bucketRing holds the newest size buckets that hold data, oldest first;
// buf grows toward size like rawRing's.
type bucketRing struct {
	unit int64 // bucket width in seconds
	buf  []bucket
	size int
	head int
	n    int
}

func (r *bucketRing) idx(i int) int {
	j := r.head + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return j
}

func (r *bucketRing) at(i int) *bucket { return &r.buf[r.idx(i)] }

// add folds v at unix second sec into its bucket. The caller guarantees sec
// is not before the newest bucket. newest says whether the sample is the
// newest so far, i.e. whether it becomes the bucket's last value.
func (r *bucketRing) add(sec int64, v float64, newest bool) {
	if r.size == 0 {
		return
	}
	start := floorDiv(sec, r.unit) * r.unit
	if r.n > 0 {
		b := r.at(r.n - 1)
		if b.start == start {
			if v < b.min {
				b.min = v
			}
			if v > b.max {
				b.max = v
			}
			b.sum += v
			b.count++
			if newest {
				b.last = v
			}
			return
		}
	}
	*r.push() = bucket{start: start, min: v, max: v, sum: v, last: v, count: 1}
}

// push returns the slot of a new newest bucket: a fresh one while the
// ring grows toward its size, then the oldest one's.
func (r *bucketRing) push() *bucket {
	if r.n == len(r.buf) && r.n < r.size {
		r.buf = grow(r.buf, r.size)
	}
	if r.n < len(r.buf) {
		b := r.at(r.n)
		r.n++
		return b
	}
	b := &r.buf[r.head]
	r.head = r.idx(1)
	return b
}

// merge folds a whole bucket (a recorded minute) into the ring's bucket
// for its start, which the caller guarantees is not before the newest.
func (r *bucketRing) merge(in bucket) {
	if r.size == 0 {
		return
	}
	start := floorDiv(in.start, r.unit) * r.unit
	if r.n > 0 {
		if b := r.at(r.n - 1); b.start == start {
			b.min, b.max = min(b.min, in.min), max(b.max, in.max)
			b.sum += in.sum
			b.count += in.count
			b.last = in.last
			return
		}
	}
	b := r.push()
	*b = in
	b.start = start
}

// search returns the logical index of the first bucket starting at or after
// unix nanosecond ns.
func (r *bucketRing) search(ns int64) int {
	lo, hi := 0, r.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.at(mid).start*1e9 < ns {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// floorDiv divides rounding toward negative infinity, so buckets before 1970
// align the same way as those after.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
