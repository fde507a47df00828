package products

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
)

// Store reads and writes the versioned catalogue.
type Store struct {
	pool *pgxpool.Pool
	// launch, when set, is the valid_from of the versions this store
	// writes (the demo catalogue has been live for years); zero means now.
	launch time.Time
}

// NewStore returns a catalogue store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// checkInput validates a product and compiles its rules, so that an invalid
// change is refused before anything is written and the live version stays.
func checkInput(in ProductInput) error {
	var p fieldProblems
	in.validate(&p)
	if _, err := compileRules(in.Rules); err != nil {
		var appErr *ecrm.Error
		if !errors.As(err, &appErr) {
			return err
		}
		p.problems = append(p.problems, appErr.Fields...)
	}
	return p.err()
}

// CreateProduct adds a new product with its version 1.
func (s *Store) CreateProduct(ctx context.Context, in ProductInput, staffID int64) (Product, error) {
	if err := checkInput(in); err != nil {
		return Product{}, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := createProduct(ctx, tx, in, staffID, s.launch)
		return err
	})
	if err != nil {
		return Product{}, err
	}
	return s.ProductByCode(ctx, in.Code)
}

// UpdateProduct appends a new version to the product with the given code
// and makes it current. The code, line and kind cannot change: they are the
// product's identity. An input equal to the current version is a no-op.
func (s *Store) UpdateProduct(ctx context.Context, code string, in ProductInput, staffID int64) (Product, error) {
	if in.Code == "" {
		in.Code = code
	}
	if in.Code != code {
		return Product{}, ecrm.FieldErrorf("code", "must be %s, the code in the URL; a product's code cannot change", code)
	}
	if err := checkInput(in); err != nil {
		return Product{}, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := updateProduct(ctx, tx, in, staffID, s.launch)
		return err
	})
	if err != nil {
		return Product{}, err
	}
	return s.ProductByCode(ctx, code)
}

func createProduct(ctx context.Context, tx pgx.Tx, in ProductInput, staffID int64, validFrom time.Time) (int64, error) {
	const q = `INSERT INTO products (code, name, line, kind, provider, currency, risk_class, complex, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`
	active := in.Active == nil || *in.Active
	var id int64
	err := tx.QueryRow(ctx, q, in.Code, in.Name.EN, in.Line, in.Kind, in.Provider, in.Currency, in.RiskClass, in.Complex, active).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return 0, &ecrm.Error{Code: ecrm.ECONFLICT, Message: fmt.Sprintf("a product with code %s already exists; PUT /api/v1/products/%s adds a version", in.Code, in.Code), Field: "code"}
	}
	if err != nil {
		return 0, fmt.Errorf("insert product %s: %w", in.Code, err)
	}
	return id, insertVersion(ctx, tx, id, 1, in, staffID, validFrom)
}

// updateProduct reports whether a new version was written.
func updateProduct(ctx context.Context, tx pgx.Tx, in ProductInput, staffID int64, validFrom time.Time) (bool, error) {
	const q = `SELECT p.id, p.line, p.kind, p.provider, p.currency, p.active, v.version, json_build_object('en', v.name, 'ro', v.name_ro), v.risk_class, v.complex, v.definition, v.rules
		FROM products p JOIN product_versions v ON v.id = p.current_version_id
		WHERE p.code = $1 FOR UPDATE OF p`
	var (
		id      int64
		cur     ProductInput
		active  bool
		version int
	)
	err := tx.QueryRow(ctx, q, in.Code).Scan(&id, &cur.Line, &cur.Kind, &cur.Provider, &cur.Currency, &active, &version,
		&cur.Name, &cur.RiskClass, &cur.Complex, &cur.Definition, &cur.Rules)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, ecrm.Errorf(ecrm.ENOTFOUND, "There is no product with code %s.", in.Code)
	}
	if err != nil {
		return false, fmt.Errorf("read product %s: %w", in.Code, err)
	}
	if in.Line != cur.Line || in.Kind != cur.Kind {
		return false, ecrm.FieldErrorf("kind", "must stay %s/%s: create a new product to change line or kind", cur.Line, cur.Kind)
	}
	newActive := in.Active == nil || *in.Active
	cur.Code, cur.Active = in.Code, in.Active
	if reflect.DeepEqual(normalise(cur), normalise(in)) && active == newActive {
		return false, nil
	}
	const upd = `UPDATE products SET name = $2, provider = $3, currency = $4, risk_class = $5, complex = $6, active = $7, updated_at = now()
		WHERE id = $1`
	if _, err := tx.Exec(ctx, upd, id, in.Name.EN, in.Provider, in.Currency, in.RiskClass, in.Complex, newActive); err != nil {
		return false, fmt.Errorf("update product %s: %w", in.Code, err)
	}
	return true, insertVersion(ctx, tx, id, version+1, in, staffID, validFrom)
}

// normalise round-trips an input through JSON so that two inputs that
// would be stored alike compare equal (decimal "0.10" vs "0.1" included).
func normalise(in ProductInput) any {
	in.Active = nil
	b, _ := json.Marshal(in)
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

func insertVersion(ctx context.Context, tx pgx.Tx, productID int64, version int, in ProductInput, staffID int64, validFrom time.Time) error {
	const q = `INSERT INTO product_versions (product_id, version, name, name_ro, definition, risk_class, complex, rules, rules_hash, created_by_staff_id, valid_from)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now())) RETURNING id`
	rules := in.Rules
	if rules == nil {
		rules = []Rule{}
	}
	var staff *int64
	if staffID > 0 {
		staff = &staffID
	}
	var vid int64
	var from *time.Time
	if !validFrom.IsZero() {
		from = &validFrom
	}
	if err := tx.QueryRow(ctx, q, productID, version, in.Name.EN, in.Name.RO, in.Definition, in.RiskClass, in.Complex, rules, rulesHash(rules), staff, from).Scan(&vid); err != nil {
		return fmt.Errorf("insert version %d of product %s: %w", version, in.Code, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE products SET current_version_id = $2 WHERE id = $1`, productID, vid); err != nil {
		return fmt.Errorf("make version %d of %s current: %w", version, in.Code, err)
	}
	return nil
}

const productColumns = `p.id, p.code, p.line, p.kind, p.provider, p.currency, p.active,
	v.id, v.version, json_build_object('en', v.name, 'ro', v.name_ro), v.risk_class, v.complex, v.definition, v.rules, v.rules_hash, v.valid_from`

func scanProduct(row pgx.Row) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.Code, &p.Line, &p.Kind, &p.Provider, &p.Currency, &p.Active,
		&p.VersionID, &p.Version.Version, &p.Name, &p.RiskClass, &p.Complex, &p.Definition, &p.Rules, &p.RulesHash, &p.ValidFrom)
	return p, err
}

// ProductByCode returns a product with its current version.
func (s *Store) ProductByCode(ctx context.Context, code string) (Product, error) {
	q := `SELECT ` + productColumns + ` FROM products p JOIN product_versions v ON v.id = p.current_version_id WHERE p.code = $1`
	p, err := scanProduct(s.pool.QueryRow(ctx, q, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return Product{}, ecrm.Errorf(ecrm.ENOTFOUND, "There is no product with code %s.", code)
	}
	if err != nil {
		return Product{}, fmt.Errorf("product %s: %w", code, err)
	}
	return p, nil
}

// ProductVersion returns a product as it was in the given version, e.g. to
// explain an old offer that recorded the version id.
func (s *Store) ProductVersion(ctx context.Context, versionID int64) (Product, error) {
	q := `SELECT ` + productColumns + ` FROM product_versions v JOIN products p ON p.id = v.product_id WHERE v.id = $1`
	p, err := scanProduct(s.pool.QueryRow(ctx, q, versionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Product{}, ecrm.Errorf(ecrm.ENOTFOUND, "There is no product version %d.", versionID)
	}
	if err != nil {
		return Product{}, fmt.Errorf("product version %d: %w", versionID, err)
	}
	return p, nil
}

// Products lists every product with its current version, by line and code.
// Inactive products are included only when withInactive is true.
func (s *Store) Products(ctx context.Context, withInactive bool) ([]Product, error) {
	q := `SELECT ` + productColumns + ` FROM products p JOIN product_versions v ON v.id = p.current_version_id
		WHERE p.active OR $1 ORDER BY p.line, p.kind, p.code`
	rows, err := s.pool.Query(ctx, q, withInactive)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Product, error) { return scanProduct(r) })
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return list, nil
}

// catalogueStamp changes whenever a product or version is written; the
// matching engine reloads its compiled catalogue when it does.
func (s *Store) catalogueStamp(ctx context.Context) (string, error) {
	var stamp string
	err := s.pool.QueryRow(ctx, `SELECT count(*)::text || '/' || coalesce(max(current_version_id), 0)::text || '/' ||
		coalesce(max(updated_at)::text, '') FROM products`).Scan(&stamp)
	return stamp, err
}

// Export returns the current catalogue in the import format, inactive
// products included.
func (s *Store) Export(ctx context.Context) ([]ProductInput, error) {
	list, err := s.Products(ctx, true)
	if err != nil {
		return nil, err
	}
	out := make([]ProductInput, len(list))
	for i, p := range list {
		out[i] = p.Input()
	}
	return out, nil
}

// Input returns the product in the form an administrator writes it.
func (p Product) Input() ProductInput {
	active := p.Active
	return ProductInput{Code: p.Code, Name: p.Name, Line: p.Line, Kind: p.Kind, Provider: p.Provider, Currency: p.Currency,
		Active: &active, RiskClass: p.RiskClass, Complex: p.Complex, Definition: p.Definition, Rules: p.Rules}
}

// ImportResult says what an import changed.
type ImportResult struct {
	Created   []string `json:"created"`
	Versioned []string `json:"versioned"`
	Unchanged []string `json:"unchanged"`
}

// Import creates the products that are new and adds a version to those that
// changed, all in one transaction: if any product is invalid, nothing is
// written and the error names it as products[i].field.
func (s *Store) Import(ctx context.Context, list []ProductInput, staffID int64) (ImportResult, error) {
	var problems []ecrm.FieldError
	codes := map[string]bool{}
	for i, in := range list {
		prefix := fmt.Sprintf("products[%d].", i)
		if codes[in.Code] {
			problems = append(problems, ecrm.FieldError{Field: prefix + "code", Message: fmt.Sprintf("%s appears twice in the file", in.Code)})
		}
		codes[in.Code] = true
		if err := checkInput(in); err != nil {
			var appErr *ecrm.Error
			if !errors.As(err, &appErr) {
				return ImportResult{}, err
			}
			for _, fe := range appErr.Fields {
				problems = append(problems, ecrm.FieldError{Field: prefix + fe.Field, Message: fe.Message})
			}
		}
	}
	if err := invalidFields(problems); err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = ImportResult{Created: []string{}, Versioned: []string{}, Unchanged: []string{}}
		for _, in := range list {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE code = $1)`, in.Code).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				if _, err := createProduct(ctx, tx, in, staffID, s.launch); err != nil {
					return err
				}
				res.Created = append(res.Created, in.Code)
				continue
			}
			changed, err := updateProduct(ctx, tx, in, staffID, s.launch)
			if err != nil {
				return err
			}
			if changed {
				res.Versioned = append(res.Versioned, in.Code)
			} else {
				res.Unchanged = append(res.Unchanged, in.Code)
			}
		}
		return nil
	})
	return res, err
}

// VersionSummary is one line of a product's version history.
type VersionSummary struct {
	VersionID int64     `json:"version_id"`
	Version   int       `json:"version"`
	Name      Text      `json:"name"`
	RulesHash string    `json:"rules_hash"`
	ValidFrom time.Time `json:"valid_from"`
	CreatedBy string    `json:"created_by,omitempty"`
	Current   bool      `json:"current"`
}

// Versions lists a product's versions, newest first.
func (s *Store) Versions(ctx context.Context, code string) ([]VersionSummary, error) {
	const q = `SELECT v.id, v.version, json_build_object('en', v.name, 'ro', v.name_ro), v.rules_hash, v.valid_from, coalesce(su.display_name, ''), v.id = p.current_version_id
		FROM products p JOIN product_versions v ON v.product_id = p.id LEFT JOIN staff_users su ON su.id = v.created_by_staff_id
		WHERE p.code = $1 ORDER BY v.version DESC`
	rows, err := s.pool.Query(ctx, q, code)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", code, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (VersionSummary, error) {
		var v VersionSummary
		err := r.Scan(&v.VersionID, &v.Version, &v.Name, &v.RulesHash, &v.ValidFrom, &v.CreatedBy, &v.Current)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", code, err)
	}
	return list, nil
}

// StatusChange is one withdrawal of a product from sale or its return.
type StatusChange struct {
	Active    bool
	Reason    string
	StaffName string
	ChangedAt time.Time
}

// SetActive withdraws the product from sale (active false) or puts it
// back, keeping who did it and why. Offers already made keep their
// version; matching stops offering a withdrawn product at its next reload.
func (s *Store) SetActive(ctx context.Context, code string, active bool, reason string, staffID int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		var was bool
		err := tx.QueryRow(ctx, `SELECT id, active FROM products WHERE code = $1 FOR UPDATE`, code).Scan(&id, &was)
		if errors.Is(err, pgx.ErrNoRows) {
			return ecrm.Errorf(ecrm.ENOTFOUND, "There is no product with code %s.", code)
		}
		if err != nil {
			return fmt.Errorf("read product %s: %w", code, err)
		}
		if was == active {
			return nil // a repeated click changes nothing
		}
		if _, err := tx.Exec(ctx, `UPDATE products SET active = $2, updated_at = now() WHERE id = $1`, id, active); err != nil {
			return fmt.Errorf("set product %s active=%t: %w", code, active, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO product_status_changes (product_id, active, reason, staff_id) VALUES ($1, $2, $3, $4)`,
			id, active, reason, staffID)
		if err != nil {
			return fmt.Errorf("record the status change of %s: %w", code, err)
		}
		return nil
	})
}

// StatusChanges lists a product's withdrawals and returns, newest first.
func (s *Store) StatusChanges(ctx context.Context, code string) ([]StatusChange, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.active, c.reason, su.display_name, c.changed_at
		FROM product_status_changes c JOIN products p ON p.id = c.product_id JOIN staff_users su ON su.id = c.staff_id
		WHERE p.code = $1 ORDER BY c.changed_at DESC, c.id DESC`, code)
	if err != nil {
		return nil, fmt.Errorf("status changes of %s: %w", code, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StatusChange, error) {
		var c StatusChange
		err := r.Scan(&c.Active, &c.Reason, &c.StaffName, &c.ChangedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("status changes of %s: %w", code, err)
	}
	return list, nil
}
