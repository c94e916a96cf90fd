"""Vocabulary of the demo: the real organisations of the sector and the programme's fixed text.

Associations, policy bodies and other organisations, materials, demo accounts, tags, trade
fairs, event topics, outreach subjects and notes, job titles and lawful-basis sources.
"""

from __future__ import annotations

from crm.demo.locales import _w

# The national associations named in the product brief, and their European umbrella.
# (acronym, name, country, city, language)
CECIMO = (
    "CECIMO",
    "CECIMO – European Association of the Machine Tool Industries and related Manufacturing "
    "Technologies",
    "BE",
    "Bruxelles",
    "en",
)
NATIONAL_ASSOCIATIONS = (
    ("VDW", "VDW – Verein Deutscher Werkzeugmaschinenfabriken", "DE", "Frankfurt am Main", "de"),
    ("UCIMU", "UCIMU-Sistemi per Produrre", "IT", "Cinisello Balsamo", "it"),
    ("AFM", "AFM Cluster", "ES", "Donostia-San Sebastián", "es"),
    ("SYMOP", "SYMOP", "FR", "Courbevoie", "fr"),
    ("MTA", "MTA – The Manufacturing Technologies Association", "GB", "London", "en"),
    ("Swissmem", "Swissmem", "CH", "Zürich", "de"),
    ("SST", "SST – Svaz strojírenské technologie", "CZ", "Praha", "cs"),
    ("FPT-VIMAG", "FPT-VIMAG", "NL", "Zoetermeer", "nl"),
    ("AIMMAP", "AIMMAP", "PT", "Porto", "pt"),
    ("Agoria", "Agoria", "BE", "Brussel", "nl"),
    ("Teknikföretagen", "Teknikföretagen / Maskinleverantörerna", "SE", "Stockholm", "sv"),
    ("", "Technology Industries of Finland", "FI", "Helsinki", "fi"),
    ("MIB", "MIB – Makina İmalatçıları Birliği", "TR", "", "tr"),
)

# (name, acronym, policy body type, level, country, city, language)
POLICY_BODIES = (
    ("European Commission – DG Internal Market, Industry, Entrepreneurship and SMEs", "DG GROW",
     "eu-institution", "eu", "BE", "Bruxelles", "en"),
    ("European Commission – DG Employment, Social Affairs and Inclusion", "DG EMPL",
     "eu-institution", "eu", "BE", "Bruxelles", "en"),
    ("European Parliament – Committee on Industry, Research and Energy", "ITRE",
     "eu-institution", "eu", "BE", "Bruxelles", "en"),
    ("European Parliament – Committee on Employment and Social Affairs", "EMPL",
     "eu-institution", "eu", "BE", "Bruxelles", "en"),
    ("European Economic and Social Committee", "EESC", "eu-institution", "eu", "BE", "Bruxelles",
     "en"),
    ("European Committee of the Regions", "CoR", "eu-institution", "eu", "BE", "Bruxelles", "en"),
    ("European Innovation Council and SMEs Executive Agency", "EISMEA", "agency", "eu", "BE",
     "Bruxelles", "en"),
    ("European Agency for Safety and Health at Work", "EU-OSHA", "agency", "eu", "ES", "Bilbao",
     "en"),
    ("European Foundation for the Improvement of Living and Working Conditions", "Eurofound",
     "agency", "eu", "IE", "Dublin", "en"),
    ("Bundesministerium für Arbeit und Soziales", "BMAS", "national-ministry", "national", "DE",
     "Berlin", "de"),
    ("Bundesministerium für Wirtschaft und Energie", "BMWE", "national-ministry", "national",
     "DE", "Berlin", "de"),
    ("Ministero delle Imprese e del Made in Italy", "MIMIT", "national-ministry", "national",
     "IT", "Roma", "it"),
    ("Ministero del Lavoro e delle Politiche Sociali", "", "national-ministry", "national", "IT",
     "Roma", "it"),
    ("Ministerio de Industria y Turismo", "", "national-ministry", "national", "ES", "Madrid",
     "es"),
    ("Ministerio de Trabajo y Economía Social", "", "national-ministry", "national", "ES",
     "Madrid", "es"),
    ("Direction générale des Entreprises", "DGE", "national-ministry", "national", "FR", "Paris",
     "fr"),
    ("Ministère du Travail", "", "national-ministry", "national", "FR", "Paris", "fr"),
    ("Department for Business and Trade", "DBT", "national-ministry", "national", "GB", "London",
     "en"),
    ("Staatssekretariat für Wirtschaft", "SECO", "agency", "national", "CH", "Bern", "de"),
    ("Ministerstvo průmyslu a obchodu", "MPO", "national-ministry", "national", "CZ", "Praha",
     "cs"),
    ("Ministerstvo práce a sociálních věcí", "MPSV", "national-ministry", "national", "CZ",
     "Praha", "cs"),
    ("Ministerie van Economische Zaken", "EZ", "national-ministry", "national", "NL",
     "Den Haag", "nl"),
    ("Ministério da Economia", "", "national-ministry", "national", "PT", "Lisboa", "pt"),
    ("FOD Economie, K.M.O., Middenstand en Energie", "", "national-ministry", "national", "BE",
     "Brussel", "nl"),
    ("Näringsdepartementet", "", "national-ministry", "national", "SE", "Stockholm", "sv"),
    ("Työ- ja elinkeinoministeriö", "TEM", "national-ministry", "national", "FI", "Helsinki",
     "fi"),
    ("Sanayi ve Teknoloji Bakanlığı", "", "national-ministry", "national", "TR", "Ankara", "tr"),
    ("Çalışma ve Sosyal Güvenlik Bakanlığı", "", "national-ministry", "national", "TR", "Ankara",
     "tr"),
    ("Bundesministerium für Arbeit und Wirtschaft", "", "national-ministry", "national", "AT",
     "Wien", "de"),
    ("Ministerstwo Rozwoju i Technologii", "", "national-ministry", "national", "PL",
     "Warszawa", "pl"),
    ("Erhvervsministeriet", "", "national-ministry", "national", "DK", "København", "da"),
    ("Ministerium für Wirtschaft, Arbeit und Tourismus Baden-Württemberg", "",
     "regional-authority", "regional", "DE", "Stuttgart", "de"),
    ("Bayerisches Staatsministerium für Wirtschaft, Landesentwicklung und Energie", "",
     "regional-authority", "regional", "DE", "München", "de"),
    ("Regione Lombardia", "", "regional-authority", "regional", "IT", "Milano", "it"),
    ("Regione Emilia-Romagna", "", "regional-authority", "regional", "IT", "Bologna", "it"),
    ("Gobierno Vasco – Departamento de Industria", "", "regional-authority", "regional", "ES",
     "Vitoria-Gasteiz", "es"),
    ("Région Auvergne-Rhône-Alpes", "", "regional-authority", "regional", "FR", "Lyon", "fr"),
    ("West Midlands Combined Authority", "WMCA", "regional-authority", "regional", "GB",
     "Birmingham", "en"),
    ("Jihomoravský kraj", "", "regional-authority", "regional", "CZ", "Brno", "cs"),
    ("Provincie Noord-Brabant", "", "regional-authority", "regional", "NL", "'s-Hertogenbosch",
     "nl"),
    ("CCDR Norte", "", "agency", "regional", "PT", "Porto", "pt"),
    ("Vlaamse overheid – Departement Economie, Wetenschap en Innovatie", "EWI",
     "regional-authority", "regional", "BE", "Brussel", "nl"),
    ("Västra Götalandsregionen", "", "regional-authority", "regional", "SE", "Göteborg", "sv"),
    ("Pirkanmaan liitto", "", "regional-authority", "regional", "FI", "Tampere", "fi"),
    ("Bursa Eskişehir Bilecik Kalkınma Ajansı", "BEBKA", "agency", "regional", "TR", "Bursa",
     "tr"),
)  # fmt: skip

# (name, acronym, category, country, city, language)
OTHER_ORGANISATIONS = (
    ("IndustriAll European Trade Union", "industriAll", "trade-union", "BE", "Bruxelles", "en"),
    ("IG Metall", "", "trade-union", "DE", "Frankfurt am Main", "de"),
    ("FIOM-CGIL", "", "trade-union", "IT", "Roma", "it"),
    ("CCOO Industria", "", "trade-union", "ES", "Madrid", "es"),
    ("Fédération des travailleurs de la métallurgie CGT", "FTM-CGT", "trade-union", "FR",
     "Montreuil", "fr"),
    ("Unite the Union", "Unite", "trade-union", "GB", "London", "en"),
    ("Unia", "", "trade-union", "CH", "Bern", "de"),
    ("OS KOVO", "", "trade-union", "CZ", "Praha", "cs"),
    ("FNV Metaal", "", "trade-union", "NL", "Utrecht", "nl"),
    ("IF Metall", "", "trade-union", "SE", "Stockholm", "sv"),
    ("Teollisuusliitto", "", "trade-union", "FI", "Helsinki", "fi"),
    ("Birleşik Metal-İş Sendikası", "", "trade-union", "TR", "İstanbul", "tr"),
    ("Fraunhofer-Institut für Werkzeugmaschinen und Umformtechnik IWU", "Fraunhofer IWU",
     "research-education", "DE", "Chemnitz", "de"),
    ("Werkzeugmaschinenlabor WZL der RWTH Aachen", "WZL", "research-education", "DE", "Aachen",
     "de"),
    ("Politecnico di Milano – Dipartimento di Meccanica", "", "research-education", "IT",
     "Milano", "it"),
    ("Tecnalia", "", "research-education", "ES", "Donostia-San Sebastián", "es"),
    ("IDEKO", "", "research-education", "ES", "Elgoibar", "es"),
    ("CETIM", "", "research-education", "FR", "Senlis", "fr"),
    ("Advanced Manufacturing Research Centre, University of Sheffield", "AMRC",
     "research-education", "GB", "Sheffield", "en"),
    ("ČVUT – Ústav výrobních strojů a zařízení", "", "research-education", "CZ", "Praha", "cs"),
    ("INEGI", "", "research-education", "PT", "Porto", "pt"),
    ("Sirris", "", "research-education", "BE", "Brussel", "nl"),
    ("KTH Royal Institute of Technology", "KTH", "research-education", "SE", "Stockholm", "sv"),
    ("Aalto University", "", "research-education", "FI", "Espoo", "fi"),
    ("CSR Europe", "", "ngo", "BE", "Bruxelles", "en"),
    ("econsense", "", "ngo", "DE", "Berlin", "de"),
    ("Fondazione Sodalitas", "", "ngo", "IT", "Milano", "it"),
    ("Forética", "", "ngo", "ES", "Madrid", "es"),
    ("MVO Nederland", "", "ngo", "NL", "Utrecht", "nl"),
    ("MM MaschinenMarkt", "", "media", "DE", "Würzburg", "de"),
    ("Tecnologie Meccaniche", "", "media", "IT", "Milano", "it"),
    ("Interempresas Metalmecánica", "", "media", "ES", "Barcelona", "es"),
    ("Machines Production", "", "media", "FR", "Paris", "fr"),
    ("Machinery", "", "media", "GB", "London", "en"),
)  # fmt: skip

# (key, kind, title, audience, language)
MATERIALS = (
    ("guidelines:en", "guidelines",
     "DESIGN-MTS guidelines: a strategic approach to CSR for machine-tool enterprises", None,
     "en"),
    ("guidelines:de", "guidelines",
     "DESIGN-MTS-Leitfaden: ein strategischer Ansatz zu CSR für Werkzeugmaschinenhersteller",
     None, "de"),
    ("guidelines:it", "guidelines",
     "Linee guida DESIGN-MTS: un approccio strategico alla RSI per le imprese delle macchine "
     "utensili", None, "it"),
    ("guidelines:es", "guidelines",
     "Guía DESIGN-MTS: un enfoque estratégico de la RSC para las empresas de "
     "máquina-herramienta", None, "es"),
    ("guidelines:fr", "guidelines",
     "Guide DESIGN-MTS : une approche stratégique de la RSE pour les entreprises de la "
     "machine-outil", None, "fr"),
    ("guidelines:cs", "guidelines",
     "Příručka DESIGN-MTS: strategický přístup k CSR pro výrobce obráběcích strojů", None, "cs"),
    ("module:employer-owner", "training-module",
     "Training module for employers and owners: CSR as a business strategy", "employer-owner",
     "en"),
    ("module:manager", "training-module",
     "Training module for managers: embedding CSR in everyday management", "manager", "en"),
    ("module:employee", "training-module",
     "Training module for employees: responsible practice at the workplace", "employee", "en"),
    ("module:worker-representative", "training-module",
     "Training module for worker representatives: social dialogue and CSR",
     "worker-representative", "en"),
    ("module:association-staff", "training-module",
     "Training module for association staff: supporting members on CSR", "association-staff",
     "en"),
    ("position-paper", "position-paper",
     "Joint position paper on CSR in the European machine-tool sector", None, "en"),
    ("policy-recommendations", "policy-recommendations",
     "Policy recommendations for fostering CSR in the machine-tool sector", None, "en"),
    ("checklist", "other", "CSR self-assessment checklist for SMEs", None, "en"),
    ("faq", "other", "Help-desk FAQ: getting started with CSR in a small company", None, "en"),
    ("toolkit", "other", "Sustainable image of the MTS industry: a communication toolkit", None,
     "en"),
    ("platform-handbook", "other",
     "Handbook for the coordinated management of the CSR multi-stakeholder platform", None, "en"),
    ("indicators", "other", "Monitoring CSR diffusion in MTS: the indicator set", None, "en"),
)  # fmt: skip

AUDIENCE_LABELS = {
    "employer-owner": "employers and owners",
    "manager": "managers",
    "employee": "employees",
    "worker-representative": "worker representatives",
    "association-staff": "association staff",
}

# (email, role, full name, time zone); officers 1-3 look after the countries in COUNTRIES.
DEMO_USERS = (
    ("admin@demo.example", "admin", "Katrien Janssens", "Europe/Brussels"),
    ("coordinator@demo.example", "coordinator", "Elena Marchetti", "Europe/Rome"),
    ("officer1@demo.example", "officer", "Jonas Hofmann", "Europe/Berlin"),
    ("officer2@demo.example", "officer", "Lucía Etxeberria", "Europe/Madrid"),
    ("officer3@demo.example", "officer", "Pieter de Wit", "Europe/Amsterdam"),
    ("organiser@demo.example", "organiser", "Camille Lefèvre", "Europe/Paris"),
    ("viewer@demo.example", "viewer", "Mark Whitfield", "Europe/London"),
)

TAGS = _w(
    "CSR champion|SME panel|pilot company|working group: skills|working group: sustainability|"
    "board member|press contact|newsletter|training alumni|help-desk user|EMO exhibitor|"
    "works council|supply-chain programme|VIP"
)
ORGANISATION_TAGS = {
    "national-association": _w("board member|working group: sustainability|VIP"),
    "affiliate": _w("working group: skills|newsletter"),
    "enterprise": _w(
        "CSR champion|SME panel|pilot company|EMO exhibitor|works council|help-desk user"
    ),
    "value-chain-partner": _w("supply-chain programme|EMO exhibitor"),
    "policy-body": _w("VIP|working group: sustainability"),
    "other": _w("press contact|working group: skills"),
}
PERSON_TAGS = _w(
    "newsletter|training alumni|help-desk user|CSR champion|press contact|VIP|"
    "working group: skills|working group: sustainability"
)

# (title, country, city, venue, time zone, month, weekday, earliest day, days, years, organiser,
#  our role). Editions fall on the first `weekday` (0 = Monday) on or after the earliest day.
TRADE_FAIRS = (
    ("EMO Hannover", "DE", "Hannover", "Messegelände Hannover", "Europe/Berlin", 9, 0, 18, 5,
     lambda y: y % 2 == 1 and y % 6 != 5, "VDW", "exhibitor"),
    ("EMO Milano", "IT", "Milano", "fieramilano Rho", "Europe/Rome", 10, 0, 4, 6,
     lambda y: y % 6 == 5, "UCIMU", "exhibitor"),
    ("METAV", "DE", "Düsseldorf", "Messe Düsseldorf", "Europe/Berlin", 3, 1, 8, 4,
     lambda y: y % 2 == 0, "VDW", "speaker"),
    ("BIEMH", "ES", "Bilbao", "Bilbao Exhibition Centre", "Europe/Madrid", 6, 0, 1, 5,
     lambda y: y % 2 == 0, "AFM", "exhibitor"),
    ("MACH", "GB", "Birmingham", "NEC Birmingham", "Europe/London", 4, 0, 13, 5,
     lambda y: y % 2 == 0, "MTA", "speaker"),
    ("LAMIERA", "IT", "Bologna", "BolognaFiere", "Europe/Rome", 5, 2, 14, 4,
     lambda y: y % 2 == 1, "UCIMU", "attendee"),
)  # fmt: skip

CONFERENCES = _w(
    "Sustainable Manufacturing Conference|Responsible Production Forum|"
    "Future of Work in Manufacturing|Machine Tool Industry Outlook|"
    "Green Production Technologies Summit|Social Responsibility in Engineering Conference"
)
WORKSHOP_TOPICS = _w(
    "CSR guidelines for SMEs|Supply-chain responsibility|Sustainable image of machine tools|"
    "Health, safety and well-being at work|Skills and apprenticeships|CSR self-assessment"
)
WEBINAR_TOPICS = _w(
    "Getting started with the DESIGN-MTS guidelines|CSR self-assessment in one afternoon|"
    "What large customers ask their machine-tool suppliers|Worker participation in CSR|"
    "Telling your sustainability story at trade fairs|Energy efficiency as part of CSR|"
    "CSR reporting for small companies|Apprenticeships and the sector's image|"
    "Responsible sourcing of castings and steel|Diversity in machine-tool workshops"
)
ROUND_TABLE_TOPICS = _w(
    "CSR incentives for manufacturing SMEs|Skills for the twin transition|"
    "Responsible business conduct in supply chains|Social dialogue in the machine-tool sector"
)

SUBJECTS = {
    "enterprise": _w(
        "Introduced the DESIGN-MTS guidelines to {org}|Visit to {org}: CSR strategy with the "
        "management|Follow-up on the CSR self-assessment at {org}|Invitation to the CSR training "
        "course for managers|SME needs survey: CSR priorities at {org}|Discussed supplier code of "
        "conduct requirements with {org}|Presented the sustainable-image toolkit to {org}|"
        "Works council interest in the worker-representative module|Health and safety as part of "
        "CSR at {org}|What customers of {org} expect on sustainability reporting|Shared good "
        "practices from other machine-tool SMEs|First contact with {org}"
    ),
    "helpdesk": _w(
        "Help desk: how to start with the guidelines|Help desk: materiality analysis for a small "
        "company|Help desk: supplier questionnaire from a large customer|Help desk: turning the "
        "guidelines into an action plan|Help desk: CSR indicators for a workshop of 20 people|"
        "Help desk: request for the guidelines in {language}"
    ),
    "association": _w(
        "Coordination meeting with {org} on member outreach|Joint article for the {org} member "
        "newsletter|Planning the CSR session at the {org} general assembly|Call with {org} on the "
        "SME panel|Shared the monitoring figures with {org}|The multi-stakeholder platform "
        "discussed with {org}|Dissemination plan for the guidelines among {org} members"
    ),
    "affiliate": _w(
        "Presented DESIGN-MTS to the {org} board|Agreed a regional workshop with {org}|Sent the "
        "guidelines to {org} for their members|Call with {org} on regional CSR champions"
    ),
    "value-chain": _w(
        "Sustainable image of machine tools in the {org} supply chain|CSR expectations of {org} "
        "as a customer|Supplier day with {org}: CSR requirements|Shared the sustainable-image "
        "toolkit with {org}"
    ),
    "policy": _w(
        "Briefing {org} on the DESIGN-MTS policy recommendations|Meeting with {org} on CSR "
        "incentives for SMEs|Sent the joint position paper to {org}|Contribution to a {org} "
        "consultation on responsible business conduct|Follow-up with {org} on skills and CSR"
    ),
    "trade-union": _w(
        "Worker participation in CSR: meeting with {org}|The worker-representative module "
        "discussed with {org}"
    ),
    "research-education": _w(
        "Monitoring indicators for CSR diffusion with {org}|Joint dissemination of results with "
        "{org}"
    ),
    "ngo": _w("Multi-stakeholder platform: exchange with {org}|Peer learning on CSR with {org}"),
    "media": _w("Interview for {org} on CSR in machine tools|Article in {org} on the DESIGN-MTS "
                "guidelines"),
    "mailing": _w(
        "DESIGN-MTS newsletter, {month}|Mailing: the guidelines are now available in {language}|"
        "Invitation to the next DESIGN-MTS webinar|Mailing: the joint position paper"
    ),
    "training": _w(
        "In-company training at {org}: {module}|Training session on the {module} module"
    ),
    "social": _w(
        "LinkedIn post on the guidelines shared by {org}|Article published by {org}|Press "
        "release on the joint position paper picked up by {org}"
    ),
}  # fmt: skip
EVENT_SUBJECTS = {
    "trade-fair": "Conversation at the booth, {event}",
    "conference": "Talk and discussion at {event}",
    "workshop": "Workshop session: {event}",
    "training-course": "Training session: {event}",
    "webinar": "{event}",
    "policy-round-table": "Contribution to the {event}",
    "general-assembly": "Presentation at {event}",
}
OUTREACH_NOTES = _w(
    "Asked for the guidelines in their own language.|Wants a workshop for the works council.|"
    "Interested, but busy until after the trade-fair season.|Will discuss it with the owner "
    "and come back to us.|Already reports on sustainability to a large customer.|Suggested we "
    "go through their association.|Needs examples from companies of a similar size.|Agreed to "
    "act as a pilot company.|No budget this year; try again in spring.|Forwarded to the HR "
    "manager."
)
FOLLOW_UP_TITLES = _w(
    "Send the guidelines to {who}|Call {who} back|Send the position paper to {who}|Send the "
    "meeting summary to {who}|Propose a meeting date to {org}"
)
ENTERPRISE_FOLLOW_UP_TITLES = _w(
    "Call {who} back about the training dates|Arrange a visit to {org}|Check whether {org} "
    "joined the SME panel|Propose workshop dates to {org}|Ask {who} for feedback on the "
    "self-assessment"
)
ORGANISATION_NOTES = {
    "enterprise": _w(
        "Family-owned since {year}.|Exports most of its machines outside the EU.|Large customers "
        "ask it for CSR reporting.|Has a works council; contact goes through HR.|Candidate for the "
        "SME panel."
    ),
    "value-chain-partner": _w("Key supplier to several members of the national association."),
    "affiliate": _w("Runs a monthly round of member visits.|Hosts regional training sessions."),
}
PERSON_NOTES = _w(
    "Prefers to be contacted in the morning.|Assistant handles the agenda.|Member of the CSR "
    "working group.|Met several times at trade fairs.|Prefers e-mail to phone calls."
)

TITLES = {
    "association-staff": _w(
        "Secretary General|Managing Director|Head of Communications|Policy Adviser|Member "
        "Services Manager|Project Manager, CSR|Training Coordinator|Head of Technical Affairs|"
        "Events Manager|EU Affairs Officer"
    ),
    "employer-owner": _w("Managing Director|Owner and Managing Director|CEO|Founder|"
                         "Managing Partner"),
    "manager": _w(
        "Head of Production|HR Manager|Quality Manager|Sustainability Manager|Plant Manager|"
        "Sales Director|Head of Purchasing|CSR Manager|Operations Manager|Chief Financial Officer|"
        "Head of R&D|Health, Safety and Environment Manager"
    ),
    "employee": _w(
        "Application Engineer|Sales Engineer|CNC Machinist|Purchasing Specialist|Marketing "
        "Specialist|Service Technician|Design Engineer|Quality Inspector|HR Assistant|Apprentice "
        "Trainer"
    ),
    "worker-representative": _w(
        "Works Council Chair|Works Council Member|Health and Safety Representative|Shop Steward|"
        "Employee Representative on the Board"
    ),
    "policy-maker": _w(
        "Policy Officer|Head of Unit|Deputy Head of Unit|Senior Adviser|Head of Division|"
        "Programme Manager|Director for Industry"
    ),
    "trade-union": _w("Federal Secretary|Policy Officer, Industrial Policy|Regional Secretary"),
    "research-education": _w("Professor of Production Engineering|Research Fellow|Head of "
                             "Laboratory|Lecturer|Head of Department"),
    "ngo": _w("Programme Director|Project Officer|Head of Partnerships"),
    "media": _w("Editor-in-Chief|Journalist|Editor"),
}  # fmt: skip
# Role weights at enterprises by size class: owners run micro firms, larger ones have councils.
ROLES = ("employer-owner", "manager", "employee", "worker-representative")
ENTERPRISE_ROLES = {
    "micro": (45, 15, 37, 3),
    "small": (20, 35, 35, 10),
    "medium": (8, 45, 32, 15),
    "large": (2, 50, 30, 18),
}
LAWFUL_BASIS_SOURCES = {
    "legitimate-interest": _w(
        "Business card exchanged at {fair}|Public contact details on the organisation's website|"
        "Member directory of {association}|Introduced by {association} staff|Speaker list of a "
        "sector conference|Enquiry to the DESIGN-MTS help desk|Referred by a colleague at the "
        "same organisation"
    ),
    "consent": _w(
        "Newsletter sign-up form on design-mts.example|Registration form of a DESIGN-MTS webinar|"
        "Signed attendance sheet of a training course|E-mail reply agreeing to be contacted"
    ),
    "contract": _w("Training services agreement|Agreement for a CSR self-assessment"),
}
CONSENT_SOURCES = _w(
    "Newsletter sign-up form on design-mts.example|Tick box on a webinar registration form|"
    "Paper form signed at a training course|Reply to the consent renewal mailing"
)
