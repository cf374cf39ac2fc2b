package policy

import (
	"fmt"
	"strconv"
	"time"

	gojmespath "github.com/kyverno/go-jmespath"
)

// kyvernoTimeFunctions are Kyverno's time functions. Times are RFC 3339
// strings and durations Go duration strings ("1h30m"), in and out; now is
// the clock time_now, time_now_utc and time_since read.
func kyvernoTimeFunctions(now func() time.Time) []gojmespath.FunctionEntry {
	return []gojmespath.FunctionEntry{
		checkedFunction("time_now", 0, func([]string) (any, error) {
			return now().Format(time.RFC3339), nil
		}),
		checkedFunction("time_now_utc", 0, func([]string) (any, error) {
			return now().UTC().Format(time.RFC3339), nil
		}),
		checkedFunction("time_utc", 1, func(s []string) (any, error) {
			t, err := rfc3339Arg("time_utc", s, 0)
			if err != nil {
				return nil, err
			}
			return t.UTC().Format(time.RFC3339), nil
		}),
		checkedFunction("time_add", 2, func(s []string) (any, error) {
			t, err := rfc3339Arg("time_add", s, 0)
			if err != nil {
				return nil, err
			}
			d, err := durationArg("time_add", s, 1)
			if err != nil {
				return nil, err
			}
			return t.Add(d).Format(time.RFC3339), nil
		}),
		checkedFunction("time_truncate", 2, func(s []string) (any, error) {
			t, err := rfc3339Arg("time_truncate", s, 0)
			if err != nil {
				return nil, err
			}
			d, err := durationArg("time_truncate", s, 1)
			if err != nil {
				return nil, err
			}
			return t.Truncate(d).Format(time.RFC3339), nil
		}),
		checkedFunction("time_diff", 2, func(s []string) (any, error) {
			t, err := rfc3339Args("time_diff", s)
			if err != nil {
				return nil, err
			}
			return t[1].Sub(t[0]).String(), nil
		}),
		checkedFunction("time_before", 2, func(s []string) (any, error) {
			t, err := rfc3339Args("time_before", s)
			if err != nil {
				return nil, err
			}
			return t[0].Before(t[1]), nil
		}),
		checkedFunction("time_after", 2, func(s []string) (any, error) {
			t, err := rfc3339Args("time_after", s)
			if err != nil {
				return nil, err
			}
			return t[0].After(t[1]), nil
		}),
		checkedFunction("time_between", 3, func(s []string) (any, error) {
			t, err := rfc3339Args("time_between", s)
			if err != nil {
				return nil, err
			}
			return t[0].After(t[1]) && t[0].Before(t[2]), nil
		}),
		checkedFunction("time_to_cron", 1, func(s []string) (any, error) {
			t, err := rfc3339Arg("time_to_cron", s, 0)
			if err != nil {
				return nil, err
			}
			return fmt.Sprintf("%d %d %d %d %d", t.Minute(), t.Hour(), t.Day(), int(t.Month()), int(t.Weekday())), nil
		}),
		checkedFunction("time_parse", 2, func(s []string) (any, error) {
			// A layout that is an integer means the time is Unix seconds.
			if _, err := strconv.ParseInt(s[0], 10, 64); err == nil {
				sec, err := strconv.ParseInt(s[1], 10, 64)
				if err != nil {
					return nil, fmt.Errorf("time_parse: argument 2 %q is not Unix seconds", s[1])
				}
				return time.Unix(sec, 0).UTC().Format(time.RFC3339), nil
			}
			t, err := time.Parse(s[0], s[1])
			if err != nil {
				return nil, fmt.Errorf("time_parse: argument 2: %w", err)
			}
			return t.Format(time.RFC3339), nil
		}),
		checkedFunction("time_since", 3, func(s []string) (any, error) {
			// time_since(layout, start, end): end - start; an empty layout
			// is RFC 3339 and an empty end is now.
			layout := s[0]
			if layout == "" {
				layout = time.RFC3339
			}
			start, err := time.Parse(layout, s[1])
			if err != nil {
				return nil, fmt.Errorf("time_since: argument 2: %w", err)
			}
			end := now()
			if s[2] != "" {
				if end, err = time.Parse(layout, s[2]); err != nil {
					return nil, fmt.Errorf("time_since: argument 3: %w", err)
				}
			}
			return end.Sub(start).String(), nil
		}),
	}
}

// rfc3339Arg parses argument i as an RFC 3339 time.
func rfc3339Arg(name string, s []string, i int) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s[i])
	if err != nil {
		return t, fmt.Errorf("%s: argument %d %q is not an RFC 3339 time", name, i+1, s[i])
	}
	return t, nil
}

// rfc3339Args parses every argument as an RFC 3339 time.
func rfc3339Args(name string, s []string) ([]time.Time, error) {
	out := make([]time.Time, len(s))
	for i := range s {
		t, err := rfc3339Arg(name, s, i)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// durationArg parses argument i as a Go duration.
func durationArg(name string, s []string, i int) (time.Duration, error) {
	d, err := time.ParseDuration(s[i])
	if err != nil {
		return 0, fmt.Errorf("%s: argument %d %q is not a duration such as 1h30m", name, i+1, s[i])
	}
	return d, nil
}
