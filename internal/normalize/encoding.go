package normalize

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"
)

// Encoding names returned by DecodeText.
const (
	EncodingUTF8       = "utf-8"
	EncodingUTF16LE    = "utf-16le"
	EncodingUTF16BE    = "utf-16be"
	EncodingWindows874 = "windows-874"
)

// DecodeText decodes a text file such as a CSV export and returns it in
// UTF-8, NFC, together with the encoding it found:
//
//  1. a UTF-8 byte-order mark: UTF-8, the mark removed; a UTF-16 mark: UTF-16;
//  2. valid UTF-8: UTF-8;
//  3. bytes above 0x7F that are defined in Windows-874 (the superset of
//     TIS-620 and ISO-8859-11 that Thai Excel writes), with Thai vowel and
//     tone marks placed after Thai letters (Latin-1 é would be a tone mark
//     after an ASCII letter): Windows-874;
//  4. anything else is refused (ErrInvalid) rather than read as Latin-1.
func DecodeText(b []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		b = b[3:]
		if !utf8.Valid(b) {
			return "", "", fmt.Errorf("%w: the text starts with a UTF-8 mark but is not UTF-8", ErrInvalid)
		}
		return norm.NFC.String(string(b)), EncodingUTF8, nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		name, order := EncodingUTF16LE, unicode.LittleEndian
		if b[0] == 0xFE {
			name, order = EncodingUTF16BE, unicode.BigEndian
		}
		out, err := unicode.UTF16(order, unicode.ExpectBOM).NewDecoder().Bytes(b)
		if err != nil {
			return "", "", fmt.Errorf("%w: bad UTF-16: %v", ErrInvalid, err)
		}
		return norm.NFC.String(string(out)), name, nil
	case utf8.Valid(b):
		return norm.NFC.String(string(b)), EncodingUTF8, nil
	}
	if !looksWindows874(b) {
		return "", "", fmt.Errorf("%w: the text is neither UTF-8 nor Thai Windows-874 (TIS-620); save it as CSV UTF-8", ErrInvalid)
	}
	s, err := DecodeWindows874(b)
	if err != nil {
		return "", "", err
	}
	return s, EncodingWindows874, nil
}

// DecodeWindows874 decodes Windows-874 bytes, which covers TIS-620 and
// ISO-8859-11, to UTF-8 in NFC.
func DecodeWindows874(b []byte) (string, error) {
	out, err := charmap.Windows874.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return norm.NFC.String(string(out)), nil
}

// looksWindows874 reports whether every byte above 0x7F is defined in
// Windows-874 and at most 5 % of the Thai combining marks (vowels above and
// below, tone marks) follow something other than a Thai letter or mark.
func looksWindows874(b []byte) bool {
	marks, misplaced := 0, 0
	for i, c := range b {
		switch {
		case c < 0x80:
			continue
		case !definedWindows874(c):
			return false
		}
		if isTISMark(c) {
			marks++
			if i == 0 || !(b[i-1] >= 0xA1 && b[i-1] <= 0xCE || isTISMark(b[i-1])) {
				misplaced++
			}
		}
	}
	return misplaced*20 <= marks
}

// definedWindows874 reports whether the byte c, above 0x7F, is a character
// in Windows-874.
func definedWindows874(c byte) bool {
	return c == 0x80 || c == 0x85 || c >= 0x91 && c <= 0x97 || c >= 0xA0 && c <= 0xDA || c >= 0xDF && c <= 0xFB
}

// isTISMark reports whether c is a Thai combining mark in TIS-620: MAI HAN-AKAT,
// the vowels above and below, and the tone and other marks.
func isTISMark(c byte) bool {
	return c == 0xD1 || c >= 0xD4 && c <= 0xDA || c >= 0xE7 && c <= 0xEE
}
