// Package history keeps fixed-memory time series: per series a ring of raw
// samples plus per-minute, hourly and daily rollups (min/avg/max/last/count).
// It knows nothing of where values come from.
package history
