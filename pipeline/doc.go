// Package pipeline holds the firm's sales discipline: pipelines of stages
// a deal moves through, the tasks each stage creates with deadlines in
// business hours, and the sweep that tells an assignee of an overdue task
// and, later, her team lead. The advisor's pages and the engines that open
// deals (an accepted offer, a claim) use it.
package pipeline
