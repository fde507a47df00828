// Package crosssell is the cross-sell engine of issue 14: it will hold
// needs analysis (which product a client needs now, from life stage and
// holdings), propensity models (how likely a client is to take a product
// up), next-best-offer arbitration and campaigns, used by both the portal
// (selfservice) and the staff workspace (advisor) so that neither imports
// the other.
//
// Only the propensity-model core exists yet, and only for outside data: a
// labelled CSV file (one row per contacted client, outcome column y) is
// read and its columns detected (dataset.go), an L2-regularised logistic
// regression is fitted with gonum over them (logistic.go), judged on a
// held-out split by AUC and lift at the top decile beside a baseline
// (metrics.go), and stored as a versioned row whose activation is audited
// (store.go). Logistic regression was chosen over trees because every
// score must be explained to the client, the advisor and compliance: a
// score is a sum of coefficient × standardised value, and the largest
// terms are its reasons.
//
// The models trained on the CRM's own history, per product family, use the
// same fitting, metrics and store.
//
// Campaigns (campaign*.go, docs/campaigns.md) offer one product to an
// audience through the gate, hold a random control group out, and report
// the uplift against it.
package crosssell
