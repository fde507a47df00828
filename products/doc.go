// Package products holds what ecrm knows about the firm's products: the
// catalogue, eligibility and matching of products to a client, the loan and
// deposit calculators, and insurance programmes with their questionnaires.
//
// The calculators (calc_*.go) are pure functions over exact decimals: no
// HTTP, no database. Their rounding rules are part of their contract and are
// stated on the functions that apply them, because the portal shows them to
// the client next to the figures.
package products
