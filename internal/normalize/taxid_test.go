package normalize

import (
	"testing"
)

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
