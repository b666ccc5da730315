package backfill

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/syncd/syncd/internal/normalize"
)

// CSVOptions say how to read a CSV file; empty fields are detected.
type CSVOptions struct {
	// Encoding is a name normalize.ParseEncoding accepts; "" detects it.
	Encoding string
	// Delimiter is ",", ";", "\t" (or "tab") or "|"; "" detects it.
	Delimiter string
}

// CSVSource reads a CSV file with a header row. Records are read with
// encoding/csv: quoted cells may hold delimiters, quotes ("") and line
// breaks; a stray quote is a bad line, not guessed at.
type CSVSource struct {
	name      string
	file      io.Closer
	size      int64
	read      atomic.Int64
	r         *csv.Reader
	header    []string
	encoding  string
	delimiter rune
}

// sampleSize is how much of a file encoding detection reads at a time.
const sampleSize = 1 << 20

// OpenCSV opens the CSV file at path ("-" reads standard input, in) and
// reads its header row.
func OpenCSV(path string, in io.Reader, o CSVOptions) (*CSVSource, error) {
	var rs io.ReadSeeker
	var closer io.Closer = io.NopCloser(nil)
	var size int64
	if path == "-" {
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, fmt.Errorf("standard input: %w", err)
		}
		rs, size = bytes.NewReader(b), int64(len(b))
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		rs, closer, size = f, f, fi.Size()
	}
	s := &CSVSource{name: path, file: closer, size: size}
	if err := s.open(rs, o); err != nil {
		closer.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func (s *CSVSource) open(rs io.ReadSeeker, o CSVOptions) error {
	enc := o.Encoding
	if enc != "" {
		var err error
		if enc, err = normalize.ParseEncoding(enc); err != nil {
			return err
		}
	} else {
		sample, err := encodingSample(rs)
		if err != nil {
			return err
		}
		if enc, _, err = normalize.DetectEncoding(sample); err != nil {
			return err
		}
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return err
	}
	text, err := normalize.NewTextReader(&countingReader{r: rs, n: &s.read}, enc)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(text, 64<<10)
	var delim rune
	if o.Delimiter != "" {
		if delim, err = ParseDelimiter(o.Delimiter); err != nil {
			return err
		}
	} else {
		head, _ := br.Peek(32 << 10) // fewer bytes at the end of a small file
		delim = detectDelimiter(head)
	}
	s.encoding, s.delimiter = enc, delim
	s.r = csv.NewReader(br)
	s.r.Comma = delim
	s.r.FieldsPerRecord = -1 // counted against the header here, to name the line
	s.r.ReuseRecord = true
	header, err := s.r.Read()
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the file is empty; it needs a header row naming the columns")
	case err != nil:
		return fmt.Errorf("header row: %w", err)
	}
	s.header = append([]string(nil), header...)
	return nil
}

// encodingSample returns the start of the file, or, when the start is
// ASCII only, the first stretch with a byte above 0x7F: a file of Thai
// customers may begin with thousands of rows of Latin names.
func encodingSample(r io.Reader) ([]byte, error) {
	buf := make([]byte, sampleSize)
	first := true
	for {
		n, err := io.ReadFull(r, buf)
		chunk := buf[:n]
		if first && (bytes.HasPrefix(chunk, []byte{0xFF, 0xFE}) || bytes.HasPrefix(chunk, []byte{0xFE, 0xFF})) {
			return chunk, nil
		}
		first = false
		if hasHighByte(chunk) || bytes.IndexByte(chunk, 0) >= 0 {
			return chunk, nil
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return chunk, nil
		case err != nil:
			return nil, err
		}
	}
}

func hasHighByte(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// ParseDelimiter reads a delimiter as a user writes it: ",", ";", "|",
// "\t" or "tab".
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "\t", `\t`, "tab":
		return '\t', nil
	case "|", "pipe":
		return '|', nil
	}
	return 0, fmt.Errorf("delimiter %q: use \",\", \";\", \"tab\" or \"|\"", s)
}

// detectDelimiter picks the delimiter that splits the header into the most
// columns among those that split the following rows into as many, trying
// comma, semicolon, tab and |; comma when none splits the header.
func detectDelimiter(head []byte) rune {
	best, bestRows, bestCols := ',', -1, 1
	for _, d := range []rune{',', ';', '\t', '|'} {
		r := csv.NewReader(bytes.NewReader(head))
		r.Comma, r.LazyQuotes, r.FieldsPerRecord = d, true, -1
		hdr, err := r.Read()
		if err != nil || len(hdr) < 2 {
			continue
		}
		rows := 0
		for i := 0; i < 20; i++ {
			rec, err := r.Read()
			if err != nil {
				break // the end, or a record the sample cuts off
			}
			if len(rec) == len(hdr) {
				rows++
			}
		}
		if rows > bestRows || rows == bestRows && len(hdr) > bestCols {
			best, bestRows, bestCols = d, rows, len(hdr)
		}
	}
	return best
}

// Header returns the column names of the header row.
func (s *CSVSource) Header() []string { return s.header }

// Describe says what was read, for the summary: the encoding and the
// delimiter.
func (s *CSVSource) Describe() (encoding, delimiter string) {
	d := string(s.delimiter)
	if s.delimiter == '\t' {
		d = "tab"
	}
	return s.encoding, d
}

// Next returns the next record, a bad line, or io.EOF.
func (s *CSVSource) Next() (Record, error) {
	rec, err := s.r.Read()
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return Record{Line: int64(pe.StartLine), Bad: &BadLine{Line: int64(pe.StartLine), Kind: KindSyntax, Reason: csvReason(pe)}}, nil
	case err != nil:
		return Record{}, err
	}
	line, _ := s.r.FieldPos(0)
	if len(rec) != len(s.header) {
		return Record{Line: int64(line), Bad: &BadLine{Line: int64(line), Kind: KindColumns,
			Reason: fmt.Sprintf("has %d columns, the header has %d; a cell holding the delimiter %q or a line break must be quoted", len(rec), len(s.header), string(s.delimiter))}}, nil
	}
	values := make([]any, len(rec))
	for i, v := range rec {
		values[i] = v
	}
	return Record{Line: int64(line), Values: values}, nil
}

func csvReason(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf("a quote inside an unquoted cell (line %d, column %d); quote the cell and double the quote (\"12\"\" pipe\")", pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf("a quoted cell is not closed properly (line %d, column %d); a quote inside a quoted cell is written twice", pe.Line, pe.Column)
	}
	return fmt.Sprintf("%v (line %d, column %d)", pe.Err, pe.Line, pe.Column)
}

// Progress returns the bytes read so far and the file's size.
func (s *CSVSource) Progress() (done, total int64) { return s.read.Load(), s.size }

// Close closes the file.
func (s *CSVSource) Close() error { return s.file.Close() }

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
