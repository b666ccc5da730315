package normalize

import (
	"math/big"
	"testing"
)

func TestAmount(t *testing.T) {
	t.Parallel()
	tests := []parseCase{
		{in: "450.00", want: "450"},
		{in: "450", want: "450"},
		{in: "0", want: "0"},
		{in: "0.50", want: "0.5"},
		{in: ".5", want: "0.5"},
		{in: "007", want: "7"},
		{in: "฿1,234.50", want: "1234.5"},
		{in: "฿ 1,234.50", want: "1234.5"},
		{in: "1,234.50 บาท", want: "1234.5"},
		{in: "1,234.50 THB", want: "1234.5"},
		{in: "1,000 บาทถ้วน", want: "1000"},
		{in: "THB 1,234.50", want: "1234.5"},
		{in: "thb1234.5", want: "1234.5"},
		{in: "๑,๒๓๔.๕๐", want: "1234.5"},
		{in: "1,234,567.891", want: "1234567.891"},
		{in: "1\u00a0234.50", want: "1234.5"},
		{in: "-12.30", want: "-12.3"},
		{in: "-0.00", want: "0"},
		{in: "+5", want: "5"},
		{in: "", wantErr: ErrEmpty},
		{in: "บาท", wantErr: ErrEmpty},
		{in: "1,5", wantErr: ErrAmbiguous},
		{in: "1.234,50", wantErr: ErrAmbiguous},
		{in: "12,34.5", wantErr: ErrAmbiguous},
		{in: "1e3", wantErr: ErrInvalid},
		{in: "(100)", wantErr: ErrInvalid},
		{in: "1.2.3", wantErr: ErrInvalid},
		{in: "$100", wantErr: ErrInvalid},
		{in: "abc", wantErr: ErrInvalid},
		{in: "12.", wantErr: ErrInvalid},
	}
	testParse(t, "Amount", Amount, tests)
}

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
	for _, s := range []string{"฿1,234.50", "0", "-1", "1,5", "๑๒", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Amount(s)
		if err != nil {
			return
		}
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
