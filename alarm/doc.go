// Package alarm implements the Rackspace Cloud Monitoring alarm criteria
// language: lexer, parser and evaluator turning check metrics into
// OK / WARNING / CRITICAL, with consecutiveCount state tracking.
// It imports nothing else of ours.
//
// # Language
//
//	:set consecutiveCount=3          # declarations first: 1..5, default 1
//	:set consistencyLevel=QUORUM     # ONE | QUORUM | ALL, default QUORUM (stored only)
//	/* block comment */
//	if (metric['usage_average'] > 95 && rate(metric['rx_bytes']) > 1e6) {
//	  return new AlarmStatus(CRITICAL, 'CPU usage is #{usage_average}%');
//	}
//	if (metric['link_state'] regex '^down') { return WARNING, "link down"; }
//	return new AlarmStatus(OK);
//
// The rules:
//
//   - Statements are if-conditionals (at most 10) whose body is one return,
//     and optionally one final unconditional return (the default); nothing
//     may follow the default. The first conditional that is true decides.
//   - return takes the long form new AlarmStatus(STATE[, 'msg']) or the
//     short form STATE[, "msg"]; semicolons are optional.
//   - Operands: metric['name'] or metric["name"] (names 1..128 characters),
//     string literals in single or double quotes with escapes
//     \t \n \r \b \f \" \' \\ \/ \uXXXX, numbers (2773.2, -200, 1.2e-7, .8),
//     previous(metric['x']), rate(metric['x']) = (V1-V0)/(T1-T0) per second,
//     percentage(a, b) = 100*a/b, and parentheses.
//   - Operators: == != < <= > >= regex nregex, then && (binds tighter),
//     then ||. There is no unary ! (the Rackspace docs list none). The
//     pattern of regex/nregex must be a string literal; it is compiled at
//     parse time with Go's regexp (RE2) syntax. < <= > >= order numbers
//     only: Parse rejects them with a string literal operand, as it
//     rejects a string literal argument of percentage().
//   - Number literals that are integers (no '.' or exponent) within the
//     range of int64 or uint64 are exact: 9007199254740993 is not 2^53.
//   - Comments: /* ... */ and # to end of line.
//   - A backslash right before a line break continues the line, between
//     tokens and inside strings (where, as in JavaScript, the backslash and
//     the line break are dropped and the next line's indentation is kept):
//     Rackspace's published criteria break long lines so.
//   - Messages interpolate #{name} with the current value of the metric
//     (see FormatMetric) and are truncated to 128 characters. A return
//     without a message takes the check's status (the docs' resolution
//     policy); the status is not interpolated.
//
// # Semantics
//
// Sources: the Rackspace Cloud Monitoring developer guide ("Alert
// Triggering and Alarms"). Where it is silent, the choices below are ours.
//
//   - A metric the result lacks is never a silent OK. When the check ran
//     and the decision depends on a metric its result lacks, in a
//     condition (metric[...], previous(), rate(), percentage(), with any
//     operator, != and nregex included) or in the message of the return
//     taken, the alarm is CRITICAL with the message "metric 'NAME' missing
//     from result" (Rule RuleMissingMetric; NAME is the first such metric),
//     and no #{...} is ever left unfilled. The Rackspace developer guide
//     ("Alert Triggering and Alarms", docs.rackspace.com/docs/
//     rackspace-monitoring/v1/tech-ref-info/alert-triggers-and-alarms/)
//     says "If a check fails to execute, by default alarm associated with
//     check returns a CRITICAL state" and nothing of a metric missing from
//     a result that did run; a plugin that stops printing a metric is the
//     same failure, so it gets the same state.
//   - "Depends on": && and || follow Kleene's three-valued logic. A side
//     that settles the connective (true for ||, false for &&) decides
//     whatever the other side would be, so metric['gone'] > 1 ||
//     metric['a'] > 1 is true when a is 2; otherwise a missing metric
//     decides (the leftmost first). A comparison reads both operands.
//   - Values that are undefined rather than missing keep the old rule, the
//     comparison is false whatever the operator: previous() or rate()
//     without a previous value (the first observation after a start, or a
//     metric the previous observation lacked), rate() over a non-positive
//     interval, percentage() with a zero divisor. A previous value is
//     history, not part of the result, so its absence is not "missing from
//     result"; instead Tracker treats such an evaluation as inconclusive
//     (see below).
//   - < <= > >=, rate() and percentage() need numbers. A string that is
//     not a decimal number there (a plugin printing "N/A") makes the alarm
//     CRITICAL with a message naming the metric and its value (Rule
//     RuleNotANumber), again rather than a silent false.
//   - No conditional matched and no default: OK with the check's status as
//     the message (Result.Rule == RuleNoMatch).
//   - == and != between two metric statements (metric[...] or
//     previous(metric[...])) compare lexicographically, as the docs say,
//     when either value is a string; two numbers compare numerically.
//   - Two strings compare as strings for == and !=. Otherwise comparison
//     is numeric, and a string takes part only if it is a decimal number
//     ("12.5", "-3e2"; not "NaN" or hex). A non-numeric string against a
//     number is unequal: == false, != true (ordering it is an error, see
//     above). NaN follows IEEE rules.
//   - Numbers are exact 64-bit integers (IntValue, UintValue: int64 and
//     uint64 metrics) or float64 (NumberValue). Integers compare exactly
//     with each other and with floats (2^53+1 > 2^53), print with all
//     their digits, and rate() takes their difference exactly before
//     dividing. rate() and percentage() return floats.
//   - regex against a number matches its shortest decimal form ("503").
//   - String metric values longer than 80 characters are truncated to 80
//     before comparison and interpolation (the upstream storage limit).
//   - A check that failed to run is CRITICAL with its status as the
//     message ("check failed to run" if empty), with or without criteria.
//     Without criteria an available check is OK with its status as message.
//   - previous() and rate() read the most recent earlier observation in
//     which the check was available (Tracker); Evaluate takes it explicitly.
//   - consecutiveCount applies to every state change, including those
//     caused by unavailability. The alarm starts UNKNOWN, or in the state
//     saved before a restart (Tracker.Restore); the first change (after N
//     agreeing evaluations) is reported as a change from that state.
//   - An inconclusive evaluation, one in which a conditional tried before
//     the decision could not be judged for want of a previous value, does
//     not move the alarm or count toward consecutiveCount. Otherwise the
//     first observation after a restart would report a restored CRITICAL
//     alarm on rate() as recovered. Evaluate itself (and "alarm test")
//     still returns what the criteria say.
//
// Observations handed to Evaluate or Tracker.Observe must not be mutated
// afterwards: the tracker keeps the last one for previous() and rate().
package alarm
