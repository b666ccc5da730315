package normalize

import (
	"testing"
)

func TestParseTaxID(t *testing.T) {
	t.Parallel()
	tests := []parseCase{ // want: the ID, and "restored" when a lost leading 0 was put back
		// Real public-company IDs (thai.md §2.2) and python-stdnum's examples.
		{in: "0107544000108", want: "0107544000108"}, // PTT
		{in: "0107536000102", want: "0107536000102"}, // SCB
		{in: "0107542000011", want: "0107542000011"}, // CP All
		{in: "0-1055-36112-01-4", want: "0105536112014"},
		{in: "0 10 5 536 11201 4", want: "0105536112014"},
		{in: "0-10-5-536-11201-4", want: "0105536112014"},
		{in: "Tax ID: 0105536112014", want: "0105536112014"},
		{in: "เลขประจำตัวผู้เสียภาษี 0105536112014", want: "0105536112014"},
		{in: "๐๑๐๕๕๓๖๑๑๒๐๑๔", want: "0105536112014"},
		{in: "3-1006-00445-63-5", want: "3100600445635"},
		{in: "1112034563562", want: "1112034563562"},
		{in: "0994000617721", want: "0994000617721"},
		{in: "0993000133978", want: "0993000133978"},
		{in: "107544000108", want: "0107544000108 restored"},
		{in: "", wantErr: ErrEmpty},
		{in: "0107544000109", wantErr: ErrInvalid},
		{in: "1234567890123", wantErr: ErrInvalid},
		{in: "010754400010", wantErr: ErrInvalid},
		{in: "01075440001080", wantErr: ErrInvalid},
		{in: "1.05536E+11", wantErr: ErrInvalid},
		{in: "0105536112014 สาขา 1", wantErr: ErrInvalid},
		{in: "O1O5536112O14", wantErr: ErrInvalid},
	}
	testParse(t, "ParseTaxID", func(in string) (string, error) {
		got, err := ParseTaxID(in)
		if got.Restored {
			return got.ID + " restored", err
		}
		return got.ID, err
	}, tests)
}

// FuzzValidThaiID13 checks that changing any single digit of a valid ID
// makes it invalid: the mod-11 check catches every single-digit error.
func FuzzValidThaiID13(f *testing.F) {
	f.Add("0107544000108", 3, byte(7))
	f.Add("3100600445635", 12, byte(1))
	f.Fuzz(func(t *testing.T, id string, pos int, d byte) {
		if !ValidThaiID13(id) || pos < 0 || pos >= 13 {
			return
		}
		c := '0' + d%10
		if id[pos] == c {
			return
		}
		changed := id[:pos] + string(rune(c)) + id[pos+1:]
		if ValidThaiID13(changed) {
			t.Fatalf("%s valid and %s (digit %d changed) valid too", id, changed, pos)
		}
	})
}

func TestBranch(t *testing.T) {
	t.Parallel()
	tests := []parseCase{
		{in: "", want: "00000"},
		{in: "0", want: "00000"},
		{in: "00000", want: "00000"},
		{in: "สำนักงานใหญ่", want: "00000"},
		{in: "Head Office", want: "00000"},
		{in: "HQ", want: "00000"},
		{in: "3", want: "00003"},
		{in: "00001", want: "00001"},
		{in: "สาขาที่ 3", want: "00003"},
		{in: "สาขาที่ 01", want: "00001"},
		{in: "สาขา 00012", want: "00012"},
		{in: "Branch 3", want: "00003"},
		{in: "๐๐๐๐๒", want: "00002"},
		{in: "123456", wantErr: ErrInvalid},
		{in: "สาขาเชียงใหม่", wantErr: ErrInvalid},
		{in: "-1", wantErr: ErrInvalid},
	}
	testParse(t, "Branch", Branch, tests)
}
