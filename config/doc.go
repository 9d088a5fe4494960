// Package config reads virgo-top configuration: the Virgo-format config
// file ("key value" per line), VIRGO_TOP_* environment overrides and flag
// overrides, validated with errors that name the line.
package config
