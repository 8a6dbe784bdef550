package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/switchboard-oss/switchboard/store"
)

// Phone numbers of the generated directory are +1 <area> 55x xxxx: number k
// takes area code areaCodes[k/numbersPerArea] and line 5500000 plus
// k%numbersPerArea. The 55x exchanges keep them in one recognisable block
// of each area code.
const numbersPerArea = 100_000

var areaCodes = []string{
	"201", "202", "203", "205", "206", "207", "208", "209", "210", "212",
	"213", "214", "215", "216", "217", "218", "219", "224", "225", "228",
	"229", "231", "234", "239", "240", "248", "251", "252", "253", "254",
	"256", "260", "262", "267", "269", "270", "276", "281", "301", "302",
}

// maxNumbers is how many distinct numbers the scheme can generate.
var maxNumbers = len(areaCodes) * numbersPerArea

// numbersPerContact is the size of the number range a contact reserves:
// contact i owns numbers 2i and, when it has a second one, 2i+1.
const numbersPerContact = 2

var (
	firstNames = []string{"Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "John", "Radia", "Edsger", "Sophie", "Tim", "Hedy", "Niklaus"}
	lastNames  = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Backus", "Perlman", "Dijkstra", "Wilson", "Berners-Lee", "Lamarr", "Wirth"}
	companies  = []string{"Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Hooli", "Vandelay Industries", "Stark Industries", ""}
)

// e164 returns number k of the scheme in E.164, such as +12015500042.
func e164(k int) string {
	area := areaCodes[k/numbersPerArea]
	return "+1" + area + "55" + fmt.Sprintf("%05d", k%numbersPerArea)
}

// nationalForm returns number k as people in the US write it, such as
// (201) 550-0042.
func nationalForm(k int) string {
	area := areaCodes[k/numbersPerArea]
	line := fmt.Sprintf("%05d", k%numbersPerArea)
	return "(" + area + ") 55" + line[:1] + "-" + line[1:]
}

// hasSecondNumber reports whether contact i has a second number. Half of
// the contacts do, so the reserved second number of the other half belongs
// to no contact. Those are the unknown numbers of the lookup benchmark.
func hasSecondNumber(i int) bool { return i%2 == 0 }

// externalID returns the external id of seeded contact i.
func externalID(i int) string { return "ext-" + strconv.Itoa(i) }

// seedContact returns contact i of the generated directory.
func seedContact(i int) store.Contact {
	first := firstNames[i%len(firstNames)]
	last := lastNames[(i/len(firstNames))%len(lastNames)]
	ext := externalID(i)

	numbers := []store.PhoneNumber{{Label: "mobile", Number: nationalForm(numbersPerContact * i), E164: e164(numbersPerContact * i)}}
	emails := []string{fmt.Sprintf("%s.%s.%d@example.com", first, last, i)}
	if hasSecondNumber(i) {
		k := numbersPerContact*i + 1
		numbers = append(numbers, store.PhoneNumber{Label: "work", Number: e164(k), E164: e164(k)})
		emails = append(emails, fmt.Sprintf("contact%d@example.org", i))
	}

	return store.Contact{
		ExternalID:   &ext,
		FirstName:    first,
		LastName:     last,
		DisplayName:  first + " " + last,
		Company:      companies[i%len(companies)],
		Emails:       store.JSONColumn[[]string]{V: emails},
		PhoneNumbers: store.JSONColumn[[]store.PhoneNumber]{V: numbers},
		ExtraData:    []byte(fmt.Sprintf(`{"crm_id":"%d","tier":"%s"}`, 900000+i, []string{"gold", "silver", "bronze"}[i%3])),
	}
}

// seedChunk returns contacts from up to to (exclusive).
func seedChunk(from, to int) []store.Contact {
	chunk := make([]store.Contact, 0, to-from)
	for i := from; i < to; i++ {
		chunk = append(chunk, seedContact(i))
	}
	return chunk
}

// csvHeader is the header row of the generated import file.
var csvHeader = []string{"external_id", "first_name", "last_name", "company", "email", "phone", "phone_mobile", "extra_data.tier"}

// importCSV returns a CSV file of rows contacts with the columns of
// csvHeader. Every row has an external id, one email and two numbers, the
// first written in the national form (read with the workspace's default
// region US) and the second in E.164.
func importCSV(rows int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(rows * 120)
	w := csv.NewWriter(&buf)
	if err := w.Write(csvHeader); err != nil {
		return nil, err
	}

	for j := range rows {
		first := firstNames[j%len(firstNames)]
		last := lastNames[(j/len(firstNames))%len(lastNames)]
		record := []string{
			"csv-" + strconv.Itoa(j),
			first,
			last,
			companies[j%len(companies)],
			fmt.Sprintf("%s.%s.%d@example.net", first, last, j),
			nationalForm(numbersPerContact * j),
			e164(numbersPerContact*j + 1),
			[]string{"gold", "silver", "bronze"}[j%3],
		}
		if err := w.Write(record); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
