// Package ecrm holds the shared vocabulary of the eCRM module: identifiers,
// money with its currency, application errors and the authenticated
// principal. It imports only the standard library and decimal, so every
// domain package (selfservice, advisor, products, risk, compliance) can use it
// without importing another domain.
package ecrm

// DefaultFirm is the name of the firm running ecrm when none is configured
// (ECRM_FIRM_NAME): the demo bank, provider of the demo catalogue's own
// products.
const DefaultFirm = "ecrm Bank"
