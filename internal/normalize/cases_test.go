package normalize

import (
	"errors"
	"testing"
)

// parseCase is one row of a normaliser's table: an input and the text the
// normaliser's result renders as, or the error it must wrap.
type parseCase struct {
	in, want string
	wantErr  error
}

// testParse runs each case through parse as a parallel subtest named by
// its input. parse renders its result as text, so that one table shape
// serves every normaliser; name is what failures call it.
func testParse(t *testing.T, name string, parse func(string) (string, error), cases []parseCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tt.in)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("%s(%q) = %q, %v; want error %v", name, tt.in, got, err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("%s(%q): %v", name, tt.in, err)
			case got != tt.want:
				t.Errorf("%s(%q) = %q, want %q", name, tt.in, got, tt.want)
			}
		})
	}
}
