package normalize

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/syncd/syncd/internal/testkit/shareddata"
)

// TestDecodeTextTIS620 decodes the real TIS-620 fixture: a Thai poem with
// Thai digits, which is not valid UTF-8.
func TestDecodeTextTIS620(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(shareddata.Path(t, "encoding/tis620.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if utf8.Valid(b) {
		t.Fatal("fixture is valid UTF-8; expected TIS-620 bytes")
	}
	got, enc, err := DecodeText(b)
	if err != nil {
		t.Fatal(err)
	}
	if enc != EncodingWindows874 {
		t.Errorf("encoding = %q, want %q", enc, EncodingWindows874)
	}
	thai := 0
	for _, r := range got {
		if r >= 0x0E01 && r <= 0x0E5B {
			thai++
		}
	}
	// 281 high bytes in the file, each one Thai character.
	if thai != 281 || strings.ContainsRune(got, utf8.RuneError) {
		t.Errorf("decoded %d Thai characters (want 281), replacement characters: %v", thai, strings.ContainsRune(got, utf8.RuneError))
	}
	if !strings.Contains(got, "๐") || !strings.Contains(FoldDigits(got), "0") {
		t.Errorf("Thai digits missing from %q", got)
	}
	// Encoding back gives the same bytes.
	back, err := charmap.Windows874.NewEncoder().String(got)
	if err != nil || back != string(b) {
		t.Errorf("round trip differs: %v", err)
	}
	t.Logf("first line: %s", strings.SplitN(got, "\n", 2)[0])
}

func TestDecodeText(t *testing.T) {
	t.Parallel()
	thai := "ชื่อ,โทร\nสมชาย,๐๘๑\n"
	w874, _ := charmap.Windows874.NewEncoder().String(thai)
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(thai)
	tests := []struct {
		name    string
		in      []byte
		want    string
		enc     string
		wantErr error
	}{
		{"utf-8", []byte(thai), thai, EncodingUTF8, nil},
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, thai...), thai, EncodingUTF8, nil},
		{"windows-874", []byte(w874), thai, EncodingWindows874, nil},
		{"windows-874 with euro sign", []byte("\x80 100 \xba\xd2\xb7"), "€ 100 บาท", EncodingWindows874, nil},
		{"utf-16le", []byte(u16), thai, EncodingUTF16LE, nil},
		{"latin-1", []byte("caf\xe9 cr\xe8me br\xfbl\xe9e \xe0 la fran\xe7aise"), "", "", ErrInvalid},
		{"ascii", []byte("a,b\n1,2\n"), "a,b\n1,2\n", EncodingUTF8, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, enc, err := DecodeText(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("DecodeText = %q, %q, %v; want error %v", got, enc, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want || enc != tt.enc {
				t.Fatalf("DecodeText = %q, %q, %v; want %q, %q", got, enc, err, tt.want, tt.enc)
			}
		})
	}
}
