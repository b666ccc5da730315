package shareddata

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// ThaiCustomer is one made-up customer with a real Thai given and family
// name from the shared name lists.
type ThaiCustomer struct {
	ERPID, Title, FirstName, LastName, Email, Phone, Province string
}

// ThaiCustomers returns n made-up customers built from the shared Thai name
// and province lists (skipping the test when they are absent), the same
// ones for the same seed: a title (นาย, นาง, นางสาว, ดร.), a given name
// matching it, a family name, an e-mail address, a mobile number written
// the way Thai spreadsheets write them, and a province.
func ThaiCustomers(tb testing.TB, n int, seed uint64) []ThaiCustomer {
	tb.Helper()
	male := ReadLines(tb, "thai/names/person_names_male_th.txt")
	female := ReadLines(tb, "thai/names/person_names_female_th.txt")
	family := ReadLines(tb, "thai/names/family_names_th.txt")
	var provinces []string
	for _, r := range ReadCSV(tb, "thai/geo/provinces.csv") {
		provinces = append(provinces, r["name_th"])
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	phoneForms := []string{"08%d-%03d-%04d", "08%d%03d%04d", "+66 8%d %03d %04d", "๐๘%d-%03d-%04d"}
	out := make([]ThaiCustomer, n)
	for i := range out {
		title, first := "นาย", male[rng.IntN(len(male))]
		switch rng.IntN(10) {
		case 0, 1, 2:
			title, first = "นางสาว", female[rng.IntN(len(female))]
		case 3, 4:
			title, first = "นาง", female[rng.IntN(len(female))]
		case 5:
			title = "ดร."
		}
		form := phoneForms[rng.IntN(len(phoneForms))]
		phone := fmt.Sprintf(form, 1+rng.IntN(9), rng.IntN(1000), rng.IntN(10000))
		if strings.HasPrefix(form, "๐") {
			phone = strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return '๐' + (r - '0')
				}
				return r
			}, phone)
		}
		out[i] = ThaiCustomer{
			ERPID: fmt.Sprintf("C-%06d", i+1), Title: title, FirstName: first,
			LastName: family[rng.IntN(len(family))],
			Email:    fmt.Sprintf("customer%06d@example.co.th", i+1),
			Phone:    phone, Province: provinces[rng.IntN(len(provinces))],
		}
	}
	return out
}

// ReadLines returns the non-blank lines of the file rel of the shared test
// data set, trimmed, skipping the test when the set is absent.
func ReadLines(tb testing.TB, rel string) []string {
	tb.Helper()
	f, err := os.Open(Path(tb, rel))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
