// Package alarm implements the Rackspace Cloud Monitoring alarm criteria
// language: lexer, parser and evaluator turning check metrics into
// OK / WARNING / CRITICAL, with consecutiveCount state tracking.
// It imports nothing else of ours.
package alarm
