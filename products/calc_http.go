package products

import (
	"net/http"

	"github.com/ecrm-project/ecrm/internal/web"
)

// The calculator API is public: prospects use the calculators before they
// are clients, and a calculation reads nothing from the database. Invalid
// input is a 422 problem naming every field at fault and the range allowed
// (see LoanRequest.Validate and DepositRequest.Validate).

// loanComparisonRequest is the body of POST /api/v1/calculators/loan/compare.
type loanComparisonRequest struct {
	Loans []LoanRequest `json:"loans"`
}

// depositComparisonRequest is the body of POST
// /api/v1/calculators/deposit/compare.
type depositComparisonRequest struct {
	Deposits []DepositRequest `json:"deposits"`
}

func (h *Handler) calculateLoan(w http.ResponseWriter, r *http.Request) {
	var req LoanRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.Problem(w, r, err)
		return
	}
	schedule, err := CalculateLoan(req)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, schedule)
}

func (h *Handler) calculateDeposit(w http.ResponseWriter, r *http.Request) {
	var req DepositRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.Problem(w, r, err)
		return
	}
	res, err := CalculateDeposit(req)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, res)
}

func (h *Handler) compareLoans(w http.ResponseWriter, r *http.Request) {
	var req loanComparisonRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.Problem(w, r, err)
		return
	}
	c, err := CompareLoans(req.Loans)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, c)
}

func (h *Handler) compareDeposits(w http.ResponseWriter, r *http.Request) {
	var req depositComparisonRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.Problem(w, r, err)
		return
	}
	c, err := CompareDeposits(req.Deposits)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, c)
}
