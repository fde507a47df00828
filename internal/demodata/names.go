package demodata

import "strings"

// The lists below give the population its Romanian and European flavour.
// Given and family names are among the most frequent in Romania (with their
// diacritics); about one client in eight carries a Hungarian, German or
// other European name, in line with Romania's minorities and the diaspora.

// name is a spelling plus its lower-case ASCII form for e-mail addresses.
type name struct {
	text  string
	ascii string
}

func names(xs ...string) []name {
	out := make([]name, len(xs))
	for i, x := range xs {
		out[i] = name{text: x, ascii: asciiLower(x)}
	}
	return out
}

// asciiLower folds diacritics for addresses that must be plain ASCII.
var asciiFold = strings.NewReplacer(
	"ă", "a", "â", "a", "î", "i", "ș", "s", "ş", "s", "ț", "t", "ţ", "t",
	"Ă", "a", "Â", "a", "Î", "i", "Ș", "s", "Ş", "s", "Ț", "t", "Ţ", "t",
	"á", "a", "é", "e", "í", "i", "ó", "o", "ö", "o", "ő", "o", "ú", "u", "ü", "u", "ű", "u",
	"Á", "a", "É", "e", "Ö", "o", "Ü", "u", "ä", "a", "ß", "ss", "ç", "c", "ñ", "n",
	"à", "a", "è", "e", "ì", "i", "ò", "o", "ù", "u", "ł", "l", "ś", "s", "ż", "z", "č", "c", "ć", "c",
	" ", "", "-", "", "'", "",
)

func asciiLower(s string) string { return strings.ToLower(asciiFold.Replace(s)) }

// nameOrigin groups names that go together (a Hungarian given name with a
// Hungarian family name).
type nameOrigin struct {
	female, male, family []name
}

var romanianNames = nameOrigin{
	female: names("Maria", "Elena", "Ioana", "Ana", "Andreea", "Alexandra", "Mihaela", "Cristina",
		"Gabriela", "Daniela", "Georgiana", "Ramona", "Simona", "Alina", "Roxana", "Irina", "Raluca",
		"Diana", "Adriana", "Corina", "Florentina", "Luminița", "Mirela", "Nicoleta", "Oana",
		"Larisa", "Bianca", "Denisa", "Ștefania", "Ileana", "Viorica", "Doina", "Rodica", "Aurelia",
		"Camelia", "Cătălina", "Mădălina", "Anca", "Smaranda", "Teodora", "Sorina", "Iuliana",
		"Angela", "Valentina", "Carmen", "Paula", "Otilia", "Lăcrămioara", "Violeta", "Silvia"),
	male: names("Ion", "Andrei", "Alexandru", "Mihai", "Gheorghe", "Constantin", "Vasile", "Nicolae",
		"Ștefan", "Florin", "Cristian", "Daniel", "Marius", "Adrian", "Bogdan", "Ionuț", "Răzvan",
		"Cătălin", "Dragoș", "Gabriel", "Sorin", "Valentin", "Lucian", "Emil", "Radu", "Tudor",
		"Vlad", "Mircea", "Dumitru", "Petru", "Costel", "Liviu", "Ovidiu", "Silviu", "Horațiu",
		"Traian", "Aurel", "Dorin", "Octavian", "Sebastian", "Matei", "Victor", "Paul", "Remus",
		"Iulian", "Cosmin", "Sergiu", "Teodor", "Eugen", "Viorel"),
	family: names("Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitrescu", "Stan", "Stoica",
		"Gheorghe", "Matei", "Ciobanu", "Rusu", "Munteanu", "Constantin", "Moldovan", "Marin",
		"Mihai", "Lazăr", "Florea", "Dinu", "Barbu", "Tudor", "Ene", "Nistor", "Ilie", "Zamfir",
		"Șerban", "Dobre", "Vasile", "Toma", "Neagu", "Sandu", "Cristea", "Preda", "Diaconu",
		"Bălan", "Oprea", "Stănescu", "Manole", "Mocanu", "Ursu", "Voicu", "Lungu", "Năstase",
		"Țurcanu", "Sârbu", "Bucur", "Dragomir", "Niculescu", "Pătrașcu", "Mureșan", "Crăciun",
		"Anghel", "Iordache", "Grigore", "Vlad", "Enache", "Coman", "Surdu", "Olteanu", "Georgescu",
		"Dumitru", "Stoian", "Costache", "Badea", "Roman", "Nedelcu", "Ispas", "Chiriac", "Cozma"),
}

var minorityNames = []struct {
	weight float64
	names  nameOrigin
}{
	{0.55, nameOrigin{ // Hungarian (Transylvania)
		female: names("Katalin", "Erzsébet", "Csilla", "Enikő", "Ildikó", "Zsuzsanna", "Réka", "Anikó"),
		male:   names("László", "Zoltán", "István", "Attila", "Levente", "Csaba", "Gábor", "Szabolcs"),
		family: names("Nagy", "Kovács", "Szabó", "Tóth", "Farkas", "Balogh", "Fazekas", "Kiss", "Molnár", "Varga"),
	}},
	{0.15, nameOrigin{ // German (Banat and Transylvanian Saxons)
		female: names("Ingrid", "Greta", "Helga", "Brigitte", "Sabine"),
		male:   names("Hans", "Klaus", "Dieter", "Werner", "Stefan"),
		family: names("Müller", "Schneider", "Fischer", "Weber", "Wagner", "Schmidt", "Hoffmann"),
	}},
	{0.30, nameOrigin{ // other European
		female: names("Giulia", "Chiara", "Sofia", "Marta", "Claire", "Anna", "Lucía", "Katarzyna", "Eva", "Emma"),
		male:   names("Marco", "Luca", "Pierre", "Jan", "Carlos", "Tomasz", "Petar", "Nikos", "James", "Lukas"),
		family: names("Rossi", "Bianchi", "Moreau", "Novak", "García", "Kowalski", "Dimitrov", "Papadopoulos", "Smith", "Horvat"),
	}},
}

// city is a place of residence. Weights follow the urban population, so
// Bucharest holds about a fifth of the clients, as in Romanian retail banks.
type city struct {
	name    string
	country string
	postal  string // prefix; the rest of the code is drawn
	weight  float64
	branch  int // the firm's branch code in IBANs
}

var romanianCities = []city{
	{"București", "RO", "0", 19, 101}, {"Cluj-Napoca", "RO", "400", 4.2, 201}, {"Timișoara", "RO", "300", 3.6, 301},
	{"Iași", "RO", "700", 3.6, 401}, {"Constanța", "RO", "900", 3.1, 501}, {"Craiova", "RO", "200", 2.9, 601},
	{"Brașov", "RO", "500", 2.9, 701}, {"Galați", "RO", "800", 2.4, 801}, {"Ploiești", "RO", "100", 2.1, 901},
	{"Oradea", "RO", "410", 2.0, 211}, {"Brăila", "RO", "810", 1.6, 811}, {"Arad", "RO", "310", 1.6, 311},
	{"Pitești", "RO", "110", 1.6, 911}, {"Sibiu", "RO", "550", 1.6, 711}, {"Bacău", "RO", "600", 1.5, 411},
	{"Târgu Mureș", "RO", "540", 1.4, 221}, {"Baia Mare", "RO", "430", 1.2, 231}, {"Buzău", "RO", "120", 1.1, 921},
	{"Botoșani", "RO", "710", 1.0, 421}, {"Satu Mare", "RO", "440", 1.0, 241}, {"Râmnicu Vâlcea", "RO", "240", 1.0, 611},
	{"Suceava", "RO", "720", 1.0, 431}, {"Piatra Neamț", "RO", "610", 0.9, 441}, {"Drobeta-Turnu Severin", "RO", "220", 0.8, 621},
	{"Târgu Jiu", "RO", "210", 0.8, 631}, {"Focșani", "RO", "620", 0.8, 821}, {"Bistrița", "RO", "420", 0.8, 251},
	{"Tulcea", "RO", "820", 0.7, 511}, {"Alba Iulia", "RO", "510", 0.7, 261}, {"Deva", "RO", "330", 0.7, 321},
	{"Slatina", "RO", "230", 0.6, 641}, {"Reșița", "RO", "320", 0.6, 331}, {"Vaslui", "RO", "730", 0.6, 451},
	{"Zalău", "RO", "450", 0.5, 271}, {"Sfântu Gheorghe", "RO", "520", 0.5, 721}, {"Miercurea Ciuc", "RO", "530", 0.4, 731},
	{"Voluntari", "RO", "077", 0.6, 111}, {"Mioveni", "RO", "115", 0.3, 931}, {"Mangalia", "RO", "905", 0.3, 521},
	{"Câmpina", "RO", "105", 0.3, 941}, {"Turda", "RO", "401", 0.3, 281}, {"Mediaș", "RO", "551", 0.3, 741},
}

// diasporaCities hold the clients who live abroad (about 3 %); they are
// paid and hold their main account in EUR.
var diasporaCities = []city{
	{"Madrid", "ES", "28", 2.5, 990}, {"Torino", "IT", "10", 2.5, 990}, {"Roma", "IT", "00", 1.5, 990},
	{"London", "GB", "", 1.5, 990}, {"München", "DE", "80", 1.2, 990}, {"Paris", "FR", "75", 0.8, 990},
	{"Wien", "AT", "1", 0.8, 990},
}

var romanianStreets = []string{
	"Strada Mihai Eminescu", "Bulevardul Unirii", "Calea Victoriei", "Strada Republicii", "Strada Avram Iancu",
	"Bulevardul Independenței", "Strada Mihai Viteazul", "Strada Ștefan cel Mare", "Strada Libertății",
	"Strada Florilor", "Strada Primăverii", "Strada Trandafirilor", "Strada Zorilor", "Aleea Teilor",
	"Strada Gării", "Strada Lalelelor", "Strada Nicolae Bălcescu", "Bulevardul 1 Decembrie 1918",
	"Strada Tudor Vladimirescu", "Strada Octavian Goga", "Strada George Coșbuc", "Strada Ion Creangă",
	"Strada Unirii", "Strada Castanilor", "Strada Morii", "Strada Păcii", "Strada Horea", "Strada Decebal",
	"Strada Traian", "Calea Dorobanților", "Strada Lucian Blaga", "Aleea Parcului", "Strada Salcâmilor",
	"Bulevardul Revoluției", "Strada Carpați", "Strada Crinului", "Calea Moșilor", "Strada Vasile Alecsandri",
}

var foreignStreets = map[string][]string{
	"ES": {"Calle de Alcalá", "Calle Mayor", "Avenida de América", "Calle de Toledo"},
	"IT": {"Via Roma", "Corso Francia", "Via Garibaldi", "Via Nizza"},
	"GB": {"High Street", "Station Road", "Church Lane", "Victoria Road"},
	"DE": {"Leopoldstraße", "Hauptstraße", "Bahnhofstraße", "Schillerstraße"},
	"FR": {"Rue de la Paix", "Avenue Jean Jaurès", "Rue Lafayette", "Boulevard Voltaire"},
	"AT": {"Mariahilfer Straße", "Landstraßer Hauptstraße", "Favoritenstraße"},
}

// occupation is a job title with its income relative to the median wage
// (INS wage statistics: IT and medicine earn about twice the median,
// retail and hospitality about two thirds).
type occupation struct {
	title  string
	factor float64
	sector sector
}

type sector int

const (
	sectorPrivate sector = iota
	sectorIT
	sectorHealth
	sectorEducation
	sectorPublic
	sectorRetail
)

var occupations = choice[occupation]{
	values: []occupation{
		{"Software engineer", 1.9, sectorIT}, {"IT consultant", 1.7, sectorIT}, {"Accountant", 1.1, sectorPrivate},
		{"Teacher", 0.95, sectorEducation}, {"Physician", 2.1, sectorHealth}, {"Nurse", 0.95, sectorHealth},
		{"Sales assistant", 0.62, sectorRetail}, {"Driver", 0.78, sectorPrivate}, {"Economist", 1.2, sectorPrivate},
		{"Lawyer", 1.7, sectorPrivate}, {"Civil servant", 1.0, sectorPublic}, {"Electrician", 0.85, sectorPrivate},
		{"Project manager", 1.6, sectorPrivate}, {"Financial analyst", 1.45, sectorPrivate}, {"Pharmacist", 1.3, sectorHealth},
		{"Architect", 1.35, sectorPrivate}, {"Call centre agent", 0.72, sectorPrivate}, {"Skilled worker", 0.78, sectorPrivate},
		{"Cook", 0.7, sectorRetail}, {"Sales representative", 1.0, sectorPrivate}, {"Police officer", 1.1, sectorPublic},
		{"Mechanical engineer", 1.35, sectorPrivate}, {"Marketing specialist", 1.15, sectorPrivate}, {"HR specialist", 1.05, sectorPrivate},
		{"Bank clerk", 1.0, sectorPrivate}, {"University lecturer", 1.25, sectorEducation}, {"Warehouse operator", 0.68, sectorRetail},
	},
	weights: weights{4, 2, 5, 6, 2, 4, 8, 6, 4, 1.5, 6, 4, 3, 2, 1.5, 1, 3, 9, 3, 4, 2, 3, 2.5, 2, 2, 1, 5},
}

var selfEmployedTrades = []occupation{
	{"Self-employed consultant", 1.3, sectorPrivate}, {"Family doctor (own practice)", 1.8, sectorHealth},
	{"Lawyer (own practice)", 1.7, sectorPrivate}, {"Photographer", 0.8, sectorPrivate},
	{"Plumber", 0.9, sectorPrivate}, {"Freelance developer", 2.0, sectorIT}, {"Shop owner", 1.1, sectorRetail},
	{"Farmer", 0.7, sectorPrivate}, {"Translator", 0.9, sectorPrivate}, {"Dentist (own practice)", 2.2, sectorHealth},
}

// employerNames are the payers of salaries by sector (fictitious firms
// and generic public institutions).
var employerNames = map[sector][]string{
	sectorPrivate: {"Dacia Logistic SA", "Transilvania Construct SRL", "Nova Industrial SRL", "Danubius Consulting SRL",
		"Carpați Auto SA", "Banat Agro SRL", "Moldova Textile SA", "Delta Shipping SRL", "Agrotrans SRL", "Eurolink Services SRL",
		"Bucovina Mobila SA", "Olt Metal SA", "Someș Energy SRL", "Vest Logistics SRL", "Muntenia Grup SA"},
	sectorIT:     {"Carpați Software SRL", "Bitfabrik Romania SRL", "Nordlicht Technologies SRL", "CodeCraft Cluj SRL", "Digitel Communications SA", "Timsoft Solutions SRL"},
	sectorHealth: {"Spitalul Clinic Județean de Urgență", "Spitalul Universitar de Urgență", "Clinica Medicală Sanitas SRL", "Farmacia Centrală SRL", "Institutul Regional de Oncologie"},
	sectorEducation: {"Colegiul Național Mihai Eminescu", "Școala Gimnazială nr. 5", "Liceul Teoretic Ion Creangă",
		"Universitatea Tehnică", "Colegiul Economic Virgil Madgearu"},
	sectorPublic: {"Primăria Municipiului", "Agenția Națională de Administrare Fiscală", "Ministerul Finanțelor",
		"Inspectoratul de Poliție Județean", "Casa Județeană de Pensii"},
	sectorRetail: {"Hipermarket Regal SRL", "Magazinul Universal SA", "Restaurant La Fântână SRL", "Depozitul Nord SRL", "Mega Distribuție SRL"},
}

var universities = []string{
	"Universitatea din București", "Universitatea Babeș-Bolyai", "Academia de Studii Economice",
	"Universitatea Politehnica București", "Universitatea Alexandru Ioan Cuza", "Universitatea de Vest din Timișoara",
	"Universitatea de Medicină și Farmacie Carol Davila", "Universitatea Transilvania din Brașov",
}

// merchant is a card-payment payee. Each client has a few favourites, so the
// card history shows the repetition later features learn from.
type merchant struct {
	name     string
	category merchantCategory
	typical  float64 // median ticket in RON
}

type merchantCategory int

const (
	groceries merchantCategory = iota
	fuel
	pharmacy
	onlineShop
	diy
	restaurant
	subscription
	transport
	travel
	clothing
)

var merchants = []merchant{
	{"Kaufland", groceries, 180}, {"Lidl", groceries, 150}, {"Mega Image", groceries, 90}, {"Carrefour", groceries, 210},
	{"Profi", groceries, 60}, {"Auchan", groceries, 230}, {"Penny", groceries, 80},
	{"OMV Petrom", fuel, 280}, {"Rompetrol", fuel, 260}, {"MOL", fuel, 250},
	{"Farmacia Tei", pharmacy, 90}, {"Catena", pharmacy, 70}, {"Dr. Max", pharmacy, 75},
	{"eMAG", onlineShop, 320}, {"Altex", onlineShop, 650}, {"Decathlon", clothing, 220}, {"IKEA", diy, 540},
	{"Dedeman", diy, 380}, {"Zara", clothing, 260}, {"H&M", clothing, 190},
	{"Glovo", restaurant, 75}, {"Tazz", restaurant, 80}, {"Starbucks", restaurant, 35}, {"McDonald's", restaurant, 45},
	{"Netflix", subscription, 50}, {"Spotify", subscription, 27}, {"Bolt", transport, 28}, {"Uber", transport, 32},
	{"CFR Călători", transport, 95}, {"Wizz Air", travel, 650}, {"Booking.com", travel, 1200},
}

// merchantsByCategory indexes merchants by category.
var merchantsByCategory = func() map[merchantCategory][]int {
	m := map[merchantCategory][]int{}
	for i, x := range merchants {
		m[x.category] = append(m[x.category], i)
	}
	return m
}()

func merchantsIn(c merchantCategory) []int { return merchantsByCategory[c] }

// utilitiesByKind indexes utilities by what they bill for.
var utilitiesByKind = func() map[string][]int {
	m := map[string][]int{}
	for i, u := range utilities {
		m[u.kind] = append(m[u.kind], i)
	}
	return m
}()

func utilitiesOf(kind string) []int { return utilitiesByKind[kind] }

// billDescriptions are the transaction texts of utility bills.
var billDescriptions = map[string]string{
	"electricity": "Electricity bill", "gas": "Gas bill", "heating": "Heating bill", "water": "Water bill",
	"mobile": "Mobile phone bill", "internet and TV": "Internet and TV bill",
}

// utility is a direct-debit payee billed monthly.
type utility struct {
	name     string
	kind     string
	typical  float64
	seasonal bool // gas and heating bills peak in winter
}

var utilities = []utility{
	{name: "Enel Energie", kind: "electricity", typical: 210}, {name: "E.ON Energie România", kind: "gas", typical: 260, seasonal: true},
	{name: "Engie România", kind: "gas", typical: 250, seasonal: true}, {name: "Electrica Furnizare", kind: "electricity", typical: 190},
	{name: "Hidroelectrica", kind: "electricity", typical: 170}, {name: "Digi România", kind: "internet and TV", typical: 65},
	{name: "Orange România", kind: "mobile", typical: 75}, {name: "Vodafone România", kind: "mobile", typical: 70},
	{name: "Telekom Romania Mobile", kind: "mobile", typical: 60}, {name: "Apa Nova", kind: "water", typical: 85},
	{name: "Termoenergetica", kind: "heating", typical: 320, seasonal: true},
}

// otherBanks are the fictitious banks and lenders of counterparties and of
// credit lines reported by the bureau; their codes appear in IBANs.
var otherBanks = []struct{ code, name string }{
	{"DNBK", "Banca Dunărea"}, {"CRPB", "Carpatia Bank"}, {"TRSV", "Banca Transilvană"},
	{"MLDC", "Credit Moldova IFN"}, {"BNTL", "Banat Leasing IFN"}, {"EURC", "EuroCredit România"},
}

// ownBank is the firm running the eCRM in the demo; its accounts carry the
// (fictitious) bank code ownBankCode.
const (
	ownBank     = "eCRM Demo Bank"
	ownBankCode = "ECRB"
)

// Insurers of the demo; none is a real company.
var insurers = []struct{ name, prefix string }{
	{"Carpatia Asigurări", "CRP"}, {"Danubia Life", "DNL"}, {"Transilvania Insurance", "TRI"},
	{"Aurora Asigurări", "AUR"}, {"Euroasig Vienna", "EAV"},
}

// emailDomains are reserved for documentation (RFC 2606 and RFC 6761), so
// demo addresses can never reach a real mailbox. (example.ro is not
// reserved, so the Romanian-looking one is a subdomain of example.net.)
var emailDomains = choice[string]{
	values:  []string{"example.com", "posta.example.net", "example.net", "example.org", "mail.example.com"},
	weights: weights{35, 30, 12, 8, 15},
}

const demoEmailDomain = "demo.ecrm.example"
