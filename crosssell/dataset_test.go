package crosssell

import (
	"strings"
	"testing"
)

func TestReadDataset(t *testing.T) {
	t.Run("SemicolonQuoted", func(t *testing.T) {
		ds, err := ReadDataset(strings.NewReader("\"age\";\"job\";\"y\"\n30;\"admin.\";\"no\"\n41;\"blue-collar\";\"YES\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if ds.Separator != ';' || len(ds.Rows) != 2 || ds.Rows[1][1] != "blue-collar" || !ds.Labels[1] || ds.Labels[0] {
			t.Fatalf("got %q %q %v", ds.Separator, ds.Rows, ds.Labels)
		}
	})
	t.Run("CommaWithSemicolonInsideQuotes", func(t *testing.T) {
		ds, err := ReadDataset(strings.NewReader("note,\"a;b;c\",y\n\"x;y\",2,1\n\"z\",3,0\n"))
		if err != nil {
			t.Fatal(err)
		}
		if ds.Separator != ',' || ds.Columns[1] != "a;b;c" || ds.Rows[0][0] != "x;y" || !ds.Labels[0] || ds.Labels[1] {
			t.Fatalf("got %q %q %q %v", ds.Separator, ds.Columns, ds.Rows, ds.Labels)
		}
	})
	bad := []struct {
		name, file, want string
	}{
		{"MissingOutcome", "age;job\n30;admin.\n", `no outcome column "y" in the header (age, job): it must say yes or no for each client`},
		{"RaggedRow", "a;b;y\n1;2;no\n3;yes\n", "line 3: 2 fields, the header has 3"},
		{"NaN", "a;b;y\n1;2;no\n3;NaN;yes\n", `line 3: column "b" is NaN: leave the field empty when the value is unknown`},
		{"Infinity", "a;b;y\n1;+Inf;no\n", `line 2: column "b" is +Inf: leave the field empty when the value is unknown`},
		{"OutcomeMaybe", "a;y\n1;no\n2;yes\n3;maybe\n", `line 4: y is "maybe": want yes or no (or 1 or 0)`},
		{"OutcomeEmpty", "a;y\n1;\n", "line 2: y is empty: want yes or no"},
		{"OnlyOutcome", "y\nyes\n", `the header has only the outcome column "y": nothing to learn from`},
		{"NoRows", "a;y\n", "the file has a header but no rows"},
		{"Empty", "\n", "the file is empty: want a header line and one row per contacted client"},
		{"DuplicateColumn", "a;a;y\n1;2;no\n", `line 1: column "a" appears twice`},
		{"UnnamedColumn", "a;;y\n1;2;no\n", "line 1: column 2 has no name"},
		{"BadQuote", "a;y\n\"1;no\n", "line 2: extraneous or missing \" in quoted-field"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadDataset(strings.NewReader(tt.file))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant     %s", err, tt.want)
			}
		})
	}
}

// TestTrainRefusesUselessColumns: a constant or all-empty column is named,
// with the flag that leaves it out; --exclude of a column that does not
// exist is named too.
func TestTrainRefusesUselessColumns(t *testing.T) {
	tests := []struct {
		name, file string
		exclude    []string
		want       string
	}{
		{"Constant", "a;c;y\n1;k;no\n2;k;yes\n3;k;no\n4;k;yes\n", nil, `column "c" is "k" on every line: nothing to learn from it (leave it out with --exclude c)`},
		{"AllEmpty", "a;e;y\n1;;no\n2;;yes\n3;;no\n4;;yes\n", nil, `column "e" is empty on every line: nothing to learn from it (leave it out with --exclude e)`},
		{"ExcludeUnknown", "a;y\n1;no\n2;yes\n3;no\n4;yes\n", []string{"b"}, `no column "b" in the file (columns: a, y)`},
		{"ExcludeOutcome", "a;y\n1;no\n2;yes\n3;no\n4;yes\n", []string{"y"}, `"y" is the outcome: it cannot be excluded or included`},
		{"AllNo", "a;y\n1;no\n2;no\n", nil, "y is no on every line: there is no take-up to learn from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := ReadDataset(strings.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Train(ds, TrainOptions{Exclude: tt.exclude, Holdout: 0.5})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant     %s", err, tt.want)
			}
		})
	}
	t.Run("ExcludedConstantIsFine", func(t *testing.T) {
		ds, err := ReadDataset(strings.NewReader("a;c;y\n1;k;no\n2;k;yes\n3;k;no\n4;k;yes\n"))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := Train(ds, TrainOptions{Exclude: []string{"c"}, Holdout: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Model.Layout.Excluded; len(got) != 1 || got[0] != "c" {
			t.Fatalf("excluded = %q", got)
		}
	})
}

func TestDetectBankLayout(t *testing.T) {
	header := "age;job;marital;education;default;housing;loan;contact;month;day_of_week;duration;campaign;pdays;previous;poutcome;emp.var.rate;cons.price.idx;cons.conf.idx;euribor3m;nr.employed;y"
	k := detectLayout(strings.Split(header, ";"))
	if k == nil || k.name != "bank-telemarketing" {
		t.Fatalf("bank header not recognised: %v", k)
	}
	if detectLayout(strings.Split(strings.Replace(header, "duration;", "", 1), ";")) != nil {
		t.Fatal("a header without duration was taken for the bank layout")
	}
}
