package advisor

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

var searchKey = regexp.MustCompile(`translate\(lower\(([a-z_]+)\), '[^']*'::text, '[^']*'::text\)`)

// TestClientSearchUsesIndexes checks that every form of the client search
// can be answered from the indexes of migration 00003. A query whose
// expressions drift from the index definitions would still return the
// right rows, but by reading every client; with sequential scans priced
// out, such a plan shows up here as a Seq Scan.
func TestClientSearchUsesIndexes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	conn, err := f.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	after := cursor{Sort: SortName, FamilyKey: "ionescu", GivenKey: "maria", ID: 101}.encode()
	afterDesc := cursor{Sort: SortNameDesc, FamilyKey: "ionescu", GivenKey: "maria", ID: 101}.encode()
	afterOldest := cursor{Sort: SortOldest, AgeKey: "1980-11-16", ID: 101}.encode()
	all, book := Scope{StaffID: 3}, Scope{StaffID: 1, Book: true}
	// The index conditions, with ecrm_search_key(x) (inlined as a
	// translate(lower(x), ...)) written KEY(x).
	const keyset = "ROW((KEY(family_name))::text, (KEY(given_name))::text, id) > ROW('ionescu'::text, 'maria'::text, '101'::bigint)"
	for _, tt := range []struct {
		scope  Scope
		filter ClientFilter
		index  string
		cond   string
	}{
		{all, ClientFilter{}, "clients_search_name_idx", ""},
		{all, ClientFilter{After: after}, "clients_search_name_idx", keyset},
		{all, ClientFilter{Query: "pop"}, "clients_search_name_idx",
			"((KEY(family_name))::text >= 'pop'::text) AND ((KEY(family_name))::text < 'poq'::text)"},
		{all, ClientFilter{Query: "ȘTEF", Segment: "private"}, "clients_search_name_idx",
			"((KEY(family_name))::text >= 'stef'::text) AND ((KEY(family_name))::text < 'steg'::text)"},
		{all, ClientFilter{Query: "ana pop", After: after}, "clients_search_name_idx",
			"((KEY(family_name))::text >= 'pop'::text) AND ((KEY(family_name))::text < 'poq'::text) AND (" + keyset + ") AND ((KEY(given_name))::text >= 'ana'::text)"},
		{all, ClientFilter{Query: "maria.ionescu@"}, "clients_search_email_idx",
			"((lower(email))::text >= 'maria.ionescu@'::text) AND ((lower(email))::text < 'maria.ionescuA'::text)"},
		{book, ClientFilter{}, "clients_book_name_idx", "(advisor_id = '1'::bigint)"},
		{book, ClientFilter{After: after}, "clients_book_name_idx", "(advisor_id = '1'::bigint) AND (" + keyset + ")"},
		{book, ClientFilter{Query: "pop"}, "clients_book_name_idx",
			"(advisor_id = '1'::bigint) AND ((KEY(family_name))::text >= 'pop'::text)"},
		{all, ClientFilter{Sort: SortNameDesc, After: afterDesc}, "clients_search_name_idx",
			"ROW((KEY(family_name))::text, (KEY(given_name))::text, id) < ROW('ionescu'::text, 'maria'::text, '101'::bigint)"},
		{all, ClientFilter{Sort: SortOldest}, "clients_oldest_idx", ""},
		{all, ClientFilter{Sort: SortOldest, After: afterOldest}, "clients_oldest_idx",
			"ROW(COALESCE(birth_date, 'infinity'::date), id) > ROW(('1980-11-16'::cstring)::date, '101'::bigint)"},
		{all, ClientFilter{Sort: SortYoungest, Segment: "mass"}, "clients_youngest_idx", ""},
	} {
		args, err := clientsArgs(tt.scope, &tt.filter)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := conn.Query(ctx, "EXPLAIN "+clientsQuery(tt.filter.Sort), args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		text := searchKey.ReplaceAllString(strings.Join(plan, "\n"), "KEY($1)")
		if strings.Contains(text, "Seq Scan on clients") || !strings.Contains(text, tt.index) {
			t.Errorf("book %v, filter %+v: plan does not use %s:\n%s", tt.scope.Book, tt.filter, tt.index, text)
		}
		if tt.cond != "" && !regexp.MustCompile(`Index Cond: .*`+regexp.QuoteMeta(tt.cond)).MatchString(text) {
			t.Errorf("book %v, filter %+v: no index condition %s in\n%s", tt.scope.Book, tt.filter, tt.cond, text)
		}
	}
}
