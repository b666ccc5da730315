// Package shareddata reads the shared test data set (real datasets: Thai
// names and provinces, Northwind, encodings), which is checked out beside
// the repository rather than in it; tests that need it skip cleanly when it
// is absent.
package shareddata

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir is the shared test data set, checked out beside the repository
// rather than in it; the path is relative to a package folder under
// internal/, where `go test` runs a package's tests.
var sharedDir = filepath.Join("..", "..", "..", "shared", "testdata")

// Has reports whether rel (slash-separated) is in the shared
// test data set, for tests that use it when present and something else
// otherwise.
func Has(rel string) bool {
	_, err := os.Stat(filepath.Join(sharedDir, filepath.FromSlash(rel)))
	return err == nil
}

// Path returns the path of rel (slash-separated) in the shared
// test data set, skipping the test when the set is not checked out beside
// the repository.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedDir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test data not available (%v); these tests read ../shared/testdata beside the repository", err)
	}
	return p
}

// ReadCSV reads the CSV file rel of the shared test data set as maps by
// header, skipping the test when the set is absent.
func ReadCSV(t testing.TB, rel string) []map[string]string {
	t.Helper()
	f, err := os.Open(Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.LazyQuotes = true
	// Northwind leaves commas in addresses unquoted; the columns the tests
	// read all come before them.
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	out := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		out = append(out, m)
	}
	return out
}
