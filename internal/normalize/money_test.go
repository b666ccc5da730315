package normalize

import (
	"math/big"
	"testing"
)

func TestRatDecimal(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in     *big.Rat
		places int
		want   string
	}{
		{big.NewRat(9, 1), 2, "9"},
		{big.NewRat(999, 1000), 8, "0.999"},
		{big.NewRat(1, 3), 2, "0.33"},
		{big.NewRat(-5, 2), 2, "-2.5"},
	} {
		if got := RatDecimal(tt.in, tt.places); got != tt.want {
			t.Errorf("RatDecimal(%v, %d) = %q, want %q", tt.in, tt.places, got, tt.want)
		}
	}
}

func FuzzAmount(f *testing.F) {
	seeds := []string{"฿1,234.50", "0", "-1", "1,5", "๑๒", "1e3"}
	fuzzAccepted(f, seeds, Amount, func(t *testing.T, s string, got string) {
		// The result is canonical: reading it again gives it back, and it
		// is the exact decimal big.Rat reads.
		again, err := Amount(got)
		if err != nil || again != got {
			t.Fatalf("Amount(%q) = %q; Amount(%q) = %q, %v", s, got, got, again, err)
		}
		if _, ok := DecimalRat(got); !ok {
			t.Fatalf("Amount(%q) = %q, not a decimal", s, got)
		}
	})
}
