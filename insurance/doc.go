// Package insurance is the insurance journey (issue 16; DESIGN.md):
// questionnaires in a subset of HL7 FHIR R4 Questionnaire, programme
// selection and rating, policies, claims, renewals and journey analytics.
// It calls the compliance gate like any engine above compliance.
//
// This file set starts with the questionnaire engine's core: reading a
// FHIR R4 Questionnaire (questionnaire.go), refusing a malformed one with
// the item named and listing what it does not support, and deciding which
// questions are enabled and whether an answer is valid (enable.go).
package insurance
