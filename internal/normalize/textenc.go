package normalize

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings lists the names ParseEncoding accepts, canonical first, for
// messages.
const Encodings = "utf-8, utf-16le, utf-16be, utf-16 (with a byte-order mark), windows-874 (also tis-620, cp874, iso-8859-11)"

// ParseEncoding returns the canonical name of an encoding a user names:
// EncodingUTF8, EncodingUTF16LE, EncodingUTF16BE, EncodingWindows874, or
// "utf-16", which means UTF-16 in the order its byte-order mark gives.
// Case, "-" and "_" do not matter.
func ParseEncoding(name string) (string, error) {
	n := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(name)))
	switch n {
	case "utf8", "utf8bom", "utf8sig":
		return EncodingUTF8, nil
	case "utf16le", "unicode":
		return EncodingUTF16LE, nil
	case "utf16be":
		return EncodingUTF16BE, nil
	case "utf16":
		return "utf-16", nil
	case "windows874", "cp874", "tis620", "iso885911", "win874", "thai":
		return EncodingWindows874, nil
	}
	return "", fmt.Errorf("%w: unknown encoding %q; use %s", ErrInvalid, name, Encodings)
}

// DetectEncoding names the encoding of a text file from a sample of it (its
// start, or a stretch holding non-ASCII bytes) and returns the length of
// its byte-order mark, for decoding the file as a stream with
// NewTextReader. The rules are DecodeText's, made robust to a file in which
// a few lines are damaged:
//
//  1. a byte-order mark: UTF-8, UTF-16LE or UTF-16BE;
//  2. NUL bytes at every other position (UTF-16 saved without a mark):
//     UTF-16 in that order;
//  3. more valid UTF-8 sequences than bytes that are not UTF-8: UTF-8 (the
//     damaged lines are the caller's to report);
//  4. bytes that read as Thai Windows-874 text (see DecodeText), all but
//     at most 1 % of them defined in Windows-874: Windows-874;
//  5. otherwise an ErrInvalid error that says to name the encoding.
//
// A sample of ASCII only is UTF-8.
func DetectEncoding(sample []byte) (enc string, bom int, err error) {
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		return EncodingUTF8, 3, nil
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		return EncodingUTF16LE, 2, nil
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return EncodingUTF16BE, 2, nil
	}
	if enc := utf16WithoutMark(sample); enc != "" {
		return enc, 0, nil
	}
	valid, invalid := utf8Counts(sample)
	switch {
	case invalid == 0 || valid > invalid:
		return EncodingUTF8, 0, nil
	case mostlyWindows874(sample):
		return EncodingWindows874, 0, nil
	}
	return "", 0, fmt.Errorf("%w: the text is neither UTF-8 nor Thai Windows-874 (TIS-620); name its encoding (%s) or save it as CSV UTF-8", ErrInvalid, Encodings)
}

// utf16WithoutMark recognises UTF-16 without a byte-order mark by its NUL
// bytes: the high bytes of ASCII characters (digits, delimiters, line
// ends), which a CSV file always has. It returns "" for anything else.
func utf16WithoutMark(b []byte) string {
	if len(b) < 16 {
		return ""
	}
	var even, odd int
	for i, c := range b {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	half := len(b) / 2
	switch {
	case odd*5 >= half && even*20 < half:
		return EncodingUTF16LE
	case even*5 >= half && odd*20 < half:
		return EncodingUTF16BE
	}
	return ""
}

// mostlyWindows874 is looksWindows874 for a file in which a few bytes are
// damaged: bytes Windows-874 does not define are dropped from the sample,
// provided they are at most 1 % of the bytes above 0x7F.
func mostlyWindows874(b []byte) bool {
	kept := make([]byte, 0, len(b))
	high, undefined := 0, 0
	for _, c := range b {
		if c >= 0x80 {
			high++
			if !definedWindows874(c) {
				undefined++
				continue
			}
		}
		kept = append(kept, c)
	}
	return undefined*100 <= high && looksWindows874(kept)
}

// utf8Counts counts the valid multi-byte UTF-8 sequences and the bytes that
// start no valid sequence. A sequence cut off by the end of the sample
// counts as neither.
func utf8Counts(b []byte) (valid, invalid int) {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		if !utf8.FullRune(b) {
			break
		}
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		b = b[n:]
	}
	return valid, invalid
}

// NewTextReader returns r decoded from enc (a name ParseEncoding returns)
// to UTF-8. A byte-order mark at the start is dropped. Bytes that are not
// text in enc (invalid UTF-8, a byte Windows-874 does not define, a lone
// UTF-16 surrogate) become U+FFFD, which callers look for
// (strings.ContainsRune(s, utf8.RuneError)) to report the text as
// undecodable instead of sending it on.
func NewTextReader(r io.Reader, enc string) (io.Reader, error) {
	switch enc {
	case EncodingUTF8:
		return transform.NewReader(r, unicode.UTF8BOM.NewDecoder()), nil
	case EncodingUTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()), nil
	case EncodingUTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()), nil
	case "utf-16":
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), nil
	case EncodingWindows874:
		return transform.NewReader(r, charmap.Windows874.NewDecoder()), nil
	}
	return nil, fmt.Errorf("%w: unknown encoding %q; use %s", ErrInvalid, enc, Encodings)
}
