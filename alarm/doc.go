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
//     \t \n \r \b \f \" \' \\ \/ \uXXXX, numbers (2773.2, -200, 1.2e-7),
//     previous(metric['x']), rate(metric['x']) = (V1-V0)/(T1-T0) per second,
//     percentage(a, b) = 100*a/b, and parentheses.
//   - Operators: == != < <= > >= regex nregex, then && (binds tighter),
//     then ||. There is no unary ! (the Rackspace docs list none). The
//     pattern of regex/nregex must be a string literal; it is compiled at
//     parse time with Go's regexp (RE2) syntax.
//   - Comments: /* ... */ and # to end of line.
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
//   - A comparison that reads a missing value is false, whatever the
//     operator (!= and nregex included): a metric absent from the
//     observation, previous() or rate() without a previous observation,
//     rate() over a non-positive interval, percentage() with a zero
//     divisor. So a missing metric never fires a rule; the default applies.
//     The docs' banner example relies on this: metric['banner_matched'] != ""
//     must be false when the metric is absent.
//   - No conditional matched and no default: OK with the check's status as
//     the message (Result.Rule == RuleNoMatch).
//   - == and != between two metric statements (metric[...] or
//     previous(metric[...])) compare lexicographically, as the docs say,
//     when either value is a string; two numbers compare numerically.
//   - Two strings compare as strings for == and !=. Otherwise comparison
//     is numeric, and a string takes part only if it is a decimal number
//     ("12.5", "-3e2"; not "NaN" or hex). A non-numeric string against a
//     number is unequal and unordered: == false, != true, < <= > >= false.
//     NaN follows IEEE rules.
//   - regex against a number matches its shortest decimal form ("503").
//   - String metric values longer than 80 characters are truncated to 80
//     before comparison and interpolation (the upstream storage limit).
//   - A check that failed to run is CRITICAL with its status as the
//     message ("check failed to run" if empty), with or without criteria.
//     Without criteria an available check is OK with its status as message.
//   - previous() and rate() read the most recent earlier observation in
//     which the check was available (Tracker); Evaluate takes it explicitly.
//   - consecutiveCount applies to every state change, including those
//     caused by unavailability. The alarm starts UNKNOWN; the first change
//     (after N agreeing evaluations) is reported as a change from UNKNOWN.
//
// Observations handed to Evaluate or Tracker.Observe must not be mutated
// afterwards: the tracker keeps the last one for previous() and rate().
package alarm
