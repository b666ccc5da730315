package normalize

import "testing"

// fuzzAccepted fuzzes parse from the seeds and calls check with every input
// parse accepts and its result; what parse refuses is not checked, since
// refusing is always allowed.
func fuzzAccepted[T any](f *testing.F, seeds []string, parse func(string) (T, error), check func(t *testing.T, in string, got T)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parse(s)
		if err != nil {
			return
		}
		check(t, s, got)
	})
}
