package normalize

import (
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func TestDetectEncoding(t *testing.T) {
	t.Parallel()
	thai := strings.Repeat("รหัส,ชื่อ,โทร\nC-1,นายสมชาย ใจดี,๐๘๑\n", 20)
	w874, _ := charmap.Windows874.NewEncoder().String(thai)
	u16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String(thai)
	u16be, _ := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder().String(thai)
	tests := []struct {
		name string
		in   string
		enc  string
		bom  int
	}{
		{"utf-8 BOM", "\xEF\xBB\xBF" + thai, EncodingUTF8, 3},
		{"utf-16le BOM", "\xFF\xFE" + u16le, EncodingUTF16LE, 2},
		{"utf-16be BOM", "\xFE\xFF" + u16be, EncodingUTF16BE, 2},
		{"utf-16le without BOM", u16le, EncodingUTF16LE, 0},
		{"utf-16be without BOM", u16be, EncodingUTF16BE, 0},
		{"utf-8", thai, EncodingUTF8, 0},
		{"utf-8 with one damaged line", thai + "C-2,\xFF\xFE\n", EncodingUTF8, 0},
		{"windows-874", w874, EncodingWindows874, 0},
		{"windows-874 with one undefined byte", w874 + "C-2,\xFC\n", EncodingWindows874, 0},
		{"ascii", "erp_id,email\nC-1,a@b.co.th\n", EncodingUTF8, 0},
	}
	for _, tt := range tests {
		enc, bom, err := DetectEncoding([]byte(tt.in))
		if err != nil || enc != tt.enc || bom != tt.bom {
			t.Errorf("%s: DetectEncoding = %q, %d, %v; want %q, %d", tt.name, enc, bom, err, tt.enc, tt.bom)
		}
	}
	for _, in := range []string{"caf\xe9 cr\xe8me br\xfbl\xe9e \xe0 la fran\xe7aise", w874 + strings.Repeat("\xFC", 50)} {
		if _, _, err := DetectEncoding([]byte(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("DetectEncoding(%q…) = %v, want ErrInvalid", in[:8], err)
		}
	}
}

func TestNewTextReader(t *testing.T) {
	t.Parallel()
	thai := "ชื่อ\tโทร\r\nสมชาย\t๐๘๑\r\n"
	w874, _ := charmap.Windows874.NewEncoder().String(thai)
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(thai)
	for _, tt := range []struct{ enc, in, want string }{
		{EncodingUTF8, "\xEF\xBB\xBF" + thai, thai},
		{EncodingUTF8, "a\xFFb", "a\uFFFDb"},
		{EncodingWindows874, w874, thai},
		{EncodingWindows874, "\xA1\xFC", "ก\uFFFD"},
		{EncodingUTF16LE, u16, thai},
		{"utf-16", u16, thai},
	} {
		r, err := NewTextReader(strings.NewReader(tt.in), tt.enc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.enc, got, err, tt.want)
		}
	}
	for in, want := range map[string]string{"TIS-620": EncodingWindows874, "cp874": EncodingWindows874, "UTF_8": EncodingUTF8, "utf-16le": EncodingUTF16LE, "UTF-16": "utf-16"} {
		if got, err := ParseEncoding(in); err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseEncoding("shift-jis"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseEncoding(shift-jis) = %v", err)
	}
}
