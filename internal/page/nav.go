package page

import (
	"net/url"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The start pages of the portal and the console, where the product name in
// the header leads.
const (
	portalHome  = "/portal"
	consoleHome = "/console"
)

// portalNav is the client portal's primary navigation. The paths are the
// portal's routes; the selfservice package owns them.
var portalNav = []NavItem{
	{Href: portalHome, LabelKey: "nav.overview"},
	{Href: "/portal/match", LabelKey: "products.match.title"},
	{Href: "/portal/offers", LabelKey: "nav.offers"},
	{Href: "/portal/policies", LabelKey: "insurance.policy.nav"},
	{Href: "/portal/brokerage", LabelKey: "market.nav"},
	{Href: "/portal/insurance", LabelKey: "insurance.journey.nav"},
	{Href: "/portal/messages", LabelKey: "nav.messages"},
	{Href: "/portal/claims", LabelKey: "insurance.claim.nav"},
	{Href: "/portal/documents", LabelKey: "nav.documents"},
	{Href: "/portal/calculators/loan", LabelKey: "nav.calculators"},
	{Href: "/portal/risk-profile", LabelKey: "suitability.nav"},
	{Href: "/portal/profile", LabelKey: "nav.profile"},
}

// consoleNav is the staff console's primary navigation; items with Roles
// are shown only to staff holding one of them.
var consoleNav = []NavItem{
	{Href: consoleHome, LabelKey: "nav.overview"},
	{Href: "/console/clients", LabelKey: "nav.clients", Roles: []string{"advisor", "compliance", "admin"}},
	{Href: "/console/tasks", LabelKey: "nav.tasks", Roles: []string{"advisor"}},
	{Href: "/console/requests", LabelKey: "nav.requests", Roles: []string{"advisor", "compliance"}},
	{Href: "/console/claims", LabelKey: "insurance.claim.queue.nav", Roles: []string{"advisor", "admin"}},
	{Href: "/console/pipelines/sales", LabelKey: "nav.pipelines", Roles: []string{"advisor", "compliance", "admin"}},
	{Href: "/console/reports", LabelKey: "nav.reports", Roles: []string{"advisor", "compliance", "admin"}},
	{Href: "/console/campaigns", LabelKey: "nav.campaigns", Roles: []string{"advisor", "compliance", "admin"}},
	{Href: "/console/products", LabelKey: "products.admin.title", Roles: []string{"admin"}},
	{Href: "/console/outbox", LabelKey: "outbox.title", Roles: []string{"admin"}},
	{Href: "/console/jobs", LabelKey: "jobs.title", Roles: []string{"admin"}},
	{Href: "/console/imports/bureau", LabelKey: "risk.bureau.nav", Roles: []string{"admin"}},
	{Href: "/console/imports/market", LabelKey: "market.import.nav", Roles: []string{"admin"}},
	{Href: "/console/questionnaires", LabelKey: "insurance.admin.nav", Roles: []string{"admin"}},
	{Href: "/console/insurance/analytics", LabelKey: "insurance.journey.analytics.nav", Roles: []string{"admin"}},
	{Href: "/console/compliance", LabelKey: "compliance.nav.console", Roles: []string{"compliance"}},
	// Administrators activate the models; compliance reaches the list
	// from its console's own navigation.
	{Href: "/console/compliance/models", LabelKey: "compliance.nav.models", Roles: []string{"admin"}},
	{Href: "/console/complaints", LabelKey: "nav.complaints", Roles: []string{"compliance"}},
}

// navigationFor returns a fresh copy of the area's navigation with the
// items the user may not use left out. Public pages have none.
func navigationFor(area Area, user *PageUser) []NavItem {
	var all []NavItem
	switch area {
	case AreaPortal:
		all = portalNav
	case AreaConsole:
		all = consoleNav
	default:
		return nil
	}
	var items []NavItem
	for _, item := range all {
		if len(item.Roles) > 0 && !hasAnyRole(user, item.Roles) {
			continue
		}
		items = append(items, item)
	}
	return items
}

func hasAnyRole(user *PageUser, roles []string) bool {
	if user == nil {
		return false
	}
	for _, role := range user.Roles {
		if slices.Contains(roles, role) {
			return true
		}
	}
	return false
}

// markCurrent marks the one item the path is in: the item whose Href is
// the path or its longest prefix ending at a "/", so that /portal/offers/42
// marks "Offers" and not also "Overview" (/portal).
func markCurrent(items []NavItem, path string) {
	best := -1
	for i := range items {
		items[i].Current = false
		href := items[i].Href
		if path == href || (strings.HasPrefix(path, href) && (strings.HasSuffix(href, "/") || path[len(href)] == '/')) {
			if best < 0 || len(href) > len(items[best].Href) {
				best = i
			}
		}
	}
	if best >= 0 {
		items[best].Current = true
	}
}

// languageLinks builds the language switch: one link per supported
// language to /lang, coming back to returnTo.
func languageLinks(current language.Tag, returnTo string) []LanguageLink {
	var links []LanguageLink
	for _, tag := range i18n.Supported() {
		code := tag.String()
		q := url.Values{"to": {code}, "back": {returnTo}}
		links = append(links, LanguageLink{
			Code:    code,
			NameKey: "lang." + code,
			Href:    LangSwitchPath + "?" + q.Encode(),
			Current: tag == current,
		})
	}
	return links
}
