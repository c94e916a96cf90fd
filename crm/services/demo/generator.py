"""``crm demo``: a deterministic, realistic data set, from a demo screenful to a benchmark.

Everything follows from (seed, scale, today's date): each stage has its own random generator
seeded from ``seed``, and the calendar is anchored on today (UTC) so that the data always
covers "the last two years", with overdue follow-ups and planned events ahead.

Rows are written with Core bulk inserts and ids assigned here, so link rows need no read-back
and ``--scale 100`` (millions of rows) takes minutes, in chunks that keep memory flat. Nothing
is committed here: the caller commits once, so a failure leaves the database as it was.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    Base,
    CommitmentItem,
    ConsentRecord,
    Country,
    Event,
    EventParticipant,
    FollowUp,
    Framework,
    Language,
    Material,
    Organisation,
    OrganisationLink,
    Person,
    Position,
    Reminder,
    Role,
    Tag,
    Target,
    User,
    event_subitems,
    organisation_tags,
    outreach_materials,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
    person_tags,
)
from crm.models import Outreach as OutreachRecord
from crm.progress import Progress
from crm.services import audit
from crm.services.accounts import hash_password
from crm.services.text import normalise_text

FRAMEWORK_KEY = "design-mts"
LEAF_CODES = ("1.1", "1.2", "1.3a", "1.3b", "1.3c", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3")
PEOPLE_PER_SCALE = 1_000
OUTREACH_PER_SCALE = 10_000
ENTERPRISES_PER_SCALE = 300
VALUE_CHAIN_PER_SCALE = 60
WINDOW_DAYS = 730  # "the last two years"
AHEAD_DAYS = 182  # events planned about six months ahead
CHUNK_ROWS = 5_000


class DemoRefused(Exception):
    """The database is not one demo data may be added to; the message says why and what to do."""


@dataclass
class DemoReport:
    """What ``generate_demo`` created: rows per table and the demo accounts to sign in with."""

    scale: int
    seed: int
    anchor: date
    rows: dict[str, int] = field(default_factory=dict)
    users: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        parts = ", ".join(f"{count:,} {table}" for table, count in self.rows.items() if count)
        return (
            f"demo data (scale {self.scale}, seed {self.seed}, dated up to "
            f"{self.anchor.isoformat()}): {self.total:,} rows: {parts}"
        )


# ------------------------------------------------------------------------------------------
# Vocabulary. Compact, hand-written lists: enough variety for 100,000 people, no dependency.
# ------------------------------------------------------------------------------------------


def _w(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())


def _feminine_cs(surname: str) -> str:
    """Czech surnames take a feminine form: Novák -> Nováková, Černý -> Černá."""
    if surname.endswith("ý"):
        return surname[:-1] + "á"
    if surname.endswith("a"):
        return surname[:-1] + "ová"
    if surname.endswith("ek"):
        return surname[:-2] + "ková"
    if surname.endswith("ec"):
        return surname[:-2] + "cová"
    return surname + "ová"


def _feminine_pl(surname: str) -> str:
    """Polish adjectival surnames agree in gender: Kowalski -> Kowalska; Nowak stays."""
    for masculine, feminine in (("dzki", "dzka"), ("cki", "cka"), ("ski", "ska")):
        if surname.endswith(masculine):
            return surname[: -len(masculine)] + feminine
    return surname


@dataclass(frozen=True)
class _Locale:
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    # Words for company names by line of business: machine (tool builders), component,
    # supplier, distributor, user (industry), service, training.
    trades: dict[str, tuple[str, ...]]
    orders: tuple[str, ...]  # "ST": surname first ("Müller Präzisionstechnik"), "TS" the reverse
    affiliates: tuple[str, ...]  # chamber, cluster, regional association; {c} is the city
    town_hall: str
    school: str
    info: str = "info"
    feminine: Callable[[str], str] | None = None


def _trades(**kinds: str) -> dict[str, tuple[str, ...]]:
    return {kind: _w(words) for kind, words in kinds.items()}


LOCALES: dict[str, _Locale] = {
    "de": _Locale(
        male=_w(
            "Thomas|Michael|Andreas|Stefan|Jürgen|Klaus|Matthias|Markus|Jörg|Uwe|Tobias|Florian|"
            "Lukas|Jan|Sebastian|Björn|Günter|Dieter|Ralf|Maximilian|Wolfgang|Frank"
        ),
        female=_w(
            "Sabine|Petra|Claudia|Andrea|Susanne|Katrin|Julia|Anna|Lena|Birgit|Ute|Monika|"
            "Stefanie|Sarah|Laura|Jutta|Bärbel|Anja|Christiane|Jana"
        ),
        surnames=_w(
            "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|"
            "Koch|Bauer|Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger|"
            "Hofmann|Hartmann|Lange|Schmitt|Werner|Krause|Köhler|Lehmann|Maier|Günther|Jäger|"
            "Weiß|Vogel|Fuchs|Brückner|Häusler"
        ),
        trades=_trades(
            machine="Werkzeugmaschinen|Präzisionstechnik|Maschinenbau|Schleiftechnik|Drehtechnik|"
            "Fräsmaschinenbau|Zerspanungstechnik|Umformtechnik|Blechbearbeitung|Lasertechnik|"
            "Sondermaschinenbau|Verzahnungstechnik",
            component="Antriebstechnik|Spanntechnik|Spindeltechnik|Lineartechnik|Hydraulik|"
            "Steuerungstechnik",
            supplier="Stahlhandel|Gießerei|Härterei|Werkstofftechnik|Schmiedetechnik",
            distributor="Maschinenhandel|Industriebedarf|Werkzeugvertrieb|Handelsgesellschaft",
            user="Fahrzeugteile|Automotive Systems|Luftfahrttechnik|Medizintechnik|Formenbau|"
            "Energietechnik",
            service="Industrieservice|Instandhaltung|Retrofit|Messtechnik|Engineering",
            training="Akademie|Bildungszentrum|Technikum|Schulungszentrum",
        ),
        orders=("ST",),
        affiliates=_w(
            "Industrie- und Handelskammer {c}|Netzwerk Produktionstechnik {c}|"
            "Arbeitgeberverband Metall {c}"
        ),
        town_hall="Stadt {c}",
        school="Berufsschule Metalltechnik {c}",
    ),
    "it": _Locale(
        male=_w(
            "Marco|Giuseppe|Giovanni|Luca|Alessandro|Andrea|Francesco|Matteo|Stefano|Paolo|"
            "Davide|Simone|Roberto|Nicolò|Fabrizio|Lorenzo|Massimo|Riccardo|Gianluca|Piergiorgio"
        ),
        female=_w(
            "Giulia|Francesca|Chiara|Sara|Valentina|Federica|Elena|Alessandra|Laura|Martina|"
            "Silvia|Paola|Elisa|Ilaria|Beatrice|Noemi"
        ),
        surnames=_w(
            "Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|"
            "Conti|De Luca|Mancini|Costa|Giordano|Rizzo|Lombardi|Moretti|Barbieri|Fontana|"
            "Santoro|Mariani|Rinaldi|Caruso|Galli|Martini|Leone|Longo|Cantù|Dell'Orto|D'Angelo|"
            "Zanardi|Pozzi"
        ),
        trades=_trades(
            machine="Macchine Utensili|Officine Meccaniche|Meccanica|Meccanica di Precisione|"
            "Rettifiche|Torneria|Costruzioni Meccaniche|Lavorazioni Lamiera|Automazioni",
            component="Mandrini|Componenti Oleodinamici|Trasmissioni|Sistemi di Bloccaggio|"
            "Elettromandrini",
            supplier="Acciai|Fonderia|Trattamenti Termici|Metalli",
            distributor="Commerciale Macchine|Forniture Industriali|Distribuzione Utensili",
            user="Componenti Auto|Stampi|Aerospazio|Meccanica Agricola|Valvole",
            service="Service Macchine|Manutenzioni Industriali|Revamping|Metrologia",
            training="Accademia Tecnica|Centro Formazione|Scuola di Meccanica",
        ),
        orders=("TS",),
        affiliates=_w("Camera di Commercio di {c}|Confindustria {c}|Cluster Meccatronica {c}"),
        town_hall="Comune di {c}",
        school="ITS Meccatronica {c}",
    ),
    "es": _Locale(
        male=_w(
            "José|Antonio|Manuel|Francisco|Javier|David|Daniel|Carlos|Jesús|Alejandro|Miguel|"
            "Rafael|Pablo|Iñaki|Jon|Aitor|Mikel|Unai|Álvaro|Sergio"
        ),
        female=_w(
            "María|Carmen|Ana|Isabel|Laura|Cristina|Marta|Lucía|Elena|Ainhoa|Nerea|Itziar|"
            "Begoña|Raquel|Sofía|Irene"
        ),
        surnames=_w(
            "García|Fernández|González|Rodríguez|López|Martínez|Sánchez|Pérez|Gómez|Martín|"
            "Jiménez|Ruiz|Hernández|Díaz|Moreno|Álvarez|Romero|Etxeberria|Agirre|Goikoetxea|"
            "Zubizarreta|Urrutia|Larrañaga|Ibáñez|Muñoz|Castaño"
        ),
        trades=_trades(
            machine="Máquinas-Herramienta|Mecanizados|Talleres|Rectificados|"
            "Construcciones Mecánicas|Tornería|Estampaciones|Automatismos|Fresadoras",
            component="Husillos|Componentes Hidráulicos|Transmisiones|Utillajes",
            supplier="Aceros|Fundiciones|Tratamientos Térmicos|Forjas",
            distributor="Comercial Industrial|Suministros Industriales|Distribuciones Técnicas",
            user="Componentes de Automoción|Moldes y Matrices|Aeronáutica|Ferroviaria",
            service="Servicio Técnico|Mantenimiento Industrial|Reacondicionamiento|Metrología",
            training="Centro de Formación|Escuela Técnica|Academia Industrial",
        ),
        orders=("TS",),
        affiliates=_w(
            "Cámara de Comercio de {c}|Clúster de Fabricación Avanzada de {c}|"
            "Asociación de Empresas del Metal de {c}"
        ),
        town_hall="Ayuntamiento de {c}",
        school="Centro de FP de Fabricación Mecánica de {c}",
    ),
    "fr": _Locale(
        male=_w(
            "Jean|Pierre|Michel|Philippe|Nicolas|François|Laurent|Éric|Stéphane|Julien|"
            "Sébastien|Olivier|Christophe|Jérôme|Antoine|Thibault|Benoît|Grégoire|Loïc"
        ),
        female=_w(
            "Marie|Nathalie|Isabelle|Sylvie|Catherine|Céline|Sophie|Aurélie|Émilie|Hélène|"
            "Camille|Élodie|Chloé|Léa|Manon|Françoise|Agnès"
        ),
        surnames=_w(
            "Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|"
            "Laurent|Lefèvre|Michel|Roux|Fournier|Girard|Bonnet|Dupont|Lambert|Fontaine|"
            "Rousseau|Vincent|Mercier|Chevalier|Faure|Gauthier|Lemaître|Bénard|Guérin|Hébert"
        ),
        trades=_trades(
            machine="Machines-Outils|Mécanique de Précision|Usinage|Ateliers Mécaniques|"
            "Rectification|Décolletage|Tôlerie|Constructions Mécaniques",
            component="Broches|Hydraulique|Transmissions|Systèmes de Serrage",
            supplier="Aciers|Fonderie|Traitements Thermiques|Forges",
            distributor="Négoce Industriel|Fournitures Industrielles|Distribution Outillage",
            user="Équipements Automobiles|Moules|Aéronautique|Ferroviaire",
            service="Maintenance Industrielle|Services Techniques|Rétrofit|Métrologie",
            training="Centre de Formation|Institut Technique|Académie",
        ),
        orders=("TS", "TS", "ST"),
        affiliates=_w("CCI {c}|Pôle Mécanique {c}|UIMM {c}"),
        town_hall="Ville de {c}",
        school="Lycée des métiers de la mécanique, {c}",
        info="contact",
    ),
    "en": _Locale(
        male=_w(
            "James|David|Paul|Andrew|Mark|Richard|Stephen|Simon|Peter|Michael|Daniel|Thomas|"
            "Christopher|Matthew|Gareth|Neil|Ian|Owen|Liam|Rajesh"
        ),
        female=_w(
            "Sarah|Emma|Claire|Helen|Rachel|Louise|Rebecca|Victoria|Joanne|Nicola|Karen|Amy|"
            "Charlotte|Sophie|Priya|Fiona|Siobhan"
        ),
        surnames=_w(
            "Smith|Jones|Taylor|Brown|Williams|Wilson|Johnson|Davies|Robinson|Wright|Thompson|"
            "Evans|Walker|White|Roberts|Green|Hall|Wood|Jackson|Clarke|Patel|Hughes|Edwards|"
            "Turner|Hartley|Whitworth|Ashworth|O'Brien|Khan|McKenzie"
        ),
        trades=_trades(
            machine="Machine Tools|Precision Engineering|Engineering|Grinding|Turned Parts|CNC|"
            "Fabrications|Toolmakers|Laser Systems|Sheet Metal",
            component="Drives|Spindles|Hydraulics|Workholding|Motion Control",
            supplier="Steels|Castings|Heat Treatment|Forgings",
            distributor="Machine Sales|Industrial Supplies|Tooling Distribution",
            user="Automotive Components|Aerospace|Medical Devices|Rail Systems",
            service="Machine Services|Maintenance|Retrofit|Metrology",
            training="Training Centre|Academy|Skills Centre",
        ),
        orders=("ST",),
        affiliates=_w("{c} Chamber of Commerce|{c} Manufacturing Cluster|{c} Engineering Network"),
        town_hall="{c} City Council",
        school="{c} College of Engineering",
    ),
    "cs": _Locale(
        male=_w(
            "Jan|Petr|Jiří|Josef|Pavel|Martin|Tomáš|Jaroslav|Miroslav|Zdeněk|Václav|Michal|Lukáš|"
            "Ondřej|Radek|Vojtěch|Jakub|Stanislav"
        ),
        female=_w(
            "Jana|Marie|Eva|Hana|Anna|Lenka|Kateřina|Lucie|Věra|Alena|Petra|Veronika|Markéta|"
            "Tereza|Zuzana|Jitka"
        ),
        surnames=_w(
            "Novák|Svoboda|Novotný|Dvořák|Černý|Procházka|Kučera|Veselý|Horák|Němec|Marek|"
            "Pospíšil|Pokorný|Hájek|Král|Jelínek|Růžička|Beneš|Fiala|Sedláček|Doležal|Zeman|"
            "Kolář|Navrátil|Čermák|Urban|Blažek|Kříž"
        ),
        trades=_trades(
            machine="Strojírny|Obráběcí stroje|Přesné obrábění|Strojírenská výroba|Nástrojárna|"
            "Kovovýroba|Brusírna",
            component="Pohony|Hydraulika|Upínací technika|Vřetena",
            supplier="Ocel|Slévárna|Kalírna|Kovárna",
            distributor="Obchod stroji|Průmyslové zásobování|Nástroje",
            user="Autodíly|Formy|Letecká výroba|Kolejová vozidla",
            service="Servis strojů|Údržba|Metrologie|Repase strojů",
            training="Vzdělávací centrum|Technická akademie|Školicí středisko",
        ),
        orders=("TS",),
        affiliates=_w(
            "Regionální hospodářská komora {c}|Klastr strojírenství {c}|Svaz průmyslu, pobočka {c}"
        ),
        town_hall="Statutární město {c}",
        school="Střední průmyslová škola strojní, {c}",
        feminine=_feminine_cs,
    ),
    "nl": _Locale(
        male=_w(
            "Jan|Pieter|Kees|Willem|Henk|Bas|Joost|Sander|Thijs|Daan|Ruben|Bram|Maarten|Geert|"
            "Wouter|Jeroen|Stijn|Koen"
        ),
        female=_w(
            "Anne|Marieke|Sanne|Linda|Femke|Els|Inge|Lotte|Eva|Sophie|Noor|Annelies|Griet|"
            "Liesbeth|Saskia"
        ),
        surnames=_w(
            "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|"
            "de Boer|Mulder|de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|"
            "Dijkstra|Maes|Peeters|Claes|Wouters|Goossens|Van Damme"
        ),
        trades=_trades(
            machine="Machinefabriek|Precisietechniek|Metaalbewerking|Verspaning|Plaatbewerking|"
            "Draaierij|Werktuigbouw|Lasertechniek",
            component="Aandrijftechniek|Hydrauliek|Spantechniek|Lineaire Techniek",
            supplier="Staalhandel|Gieterij|Hardingsbedrijf|Smederij",
            distributor="Machinehandel|Technische Groothandel|Gereedschappen",
            user="Automotive|Matrijzenbouw|Luchtvaarttechniek|Medische Techniek",
            service="Technische Dienst|Onderhoud|Retrofit|Meettechniek",
            training="Opleidingscentrum|Technische Academie|Vakschool",
        ),
        orders=("ST", "TS"),
        affiliates=_w(
            "Kamer van Koophandel {c}|Cluster Hightech Systemen {c}|Metaalunie regio {c}"
        ),
        town_hall="Gemeente {c}",
        school="ROC Techniek {c}",
    ),
    "pt": _Locale(
        male=_w(
            "João|José|António|Manuel|Francisco|Pedro|Luís|Rui|Paulo|Miguel|Tiago|Nuno|Ricardo|"
            "Gonçalo|Sérgio|Hélder"
        ),
        female=_w(
            "Maria|Ana|Joana|Sofia|Inês|Beatriz|Mariana|Catarina|Rita|Teresa|Patrícia|Sónia|"
            "Cláudia|Margarida|Conceição"
        ),
        surnames=_w(
            "Silva|Santos|Ferreira|Pereira|Oliveira|Costa|Rodrigues|Martins|Sousa|Fernandes|"
            "Gonçalves|Gomes|Lopes|Marques|Alves|Almeida|Ribeiro|Pinto|Carvalho|Teixeira|"
            "Moreira|Correia|Mendes|Magalhães|Simões|Brandão|Assunção"
        ),
        trades=_trades(
            machine="Metalomecânica|Máquinas-Ferramenta|Maquinação|Torneados|"
            "Serralharia Industrial|Moldes|Construções Mecânicas|Metalúrgica",
            component="Fusos|Hidráulica|Transmissões|Sistemas de Fixação",
            supplier="Aços|Fundição|Tratamentos Térmicos|Forjados",
            distributor="Comércio Industrial|Fornecimentos Industriais|Ferramentas",
            user="Componentes Automóveis|Moldes de Injeção|Aeronáutica|Ferroviária",
            service="Assistência Técnica|Manutenção Industrial|Metrologia|Recondicionamento",
            training="Centro de Formação|Academia Técnica|Escola Profissional",
        ),
        orders=("TS",),
        affiliates=_w(
            "Associação Empresarial de {c}|Cluster de Produção de {c}|Câmara de Comércio de {c}"
        ),
        town_hall="Município de {c}",
        school="Escola Profissional de Mecânica de {c}",
    ),
    "sv": _Locale(
        male=_w(
            "Lars|Anders|Johan|Per|Erik|Karl|Mikael|Magnus|Fredrik|Henrik|Björn|Jörgen|Håkan|"
            "Göran|Oskar|Nils"
        ),
        female=_w(
            "Anna|Eva|Maria|Karin|Sara|Kristina|Lena|Emma|Ingrid|Åsa|Birgitta|Malin|Linnéa|"
            "Sofia|Elin|Märta"
        ),
        surnames=_w(
            "Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Olsson|Persson|Svensson|"
            "Gustafsson|Pettersson|Jönsson|Jansson|Hansson|Bengtsson|Lindqvist|Lindström|Åberg|"
            "Sjöberg|Ekström|Öberg|Bergström|Lundgren|Håkansson|Löfgren"
        ),
        trades=_trades(
            machine="Verktygsmaskiner|Mekaniska|Precisionsmekanik|Bearbetning|Slipteknik|"
            "Plåtbearbetning|Maskinteknik",
            component="Drivteknik|Hydraulik|Spännteknik|Spindlar",
            supplier="Stål|Gjuteri|Härderi|Smide",
            distributor="Maskinförsäljning|Industrihandel|Verktyg",
            user="Fordonskomponenter|Flygteknik|Medicinteknik|Formverktyg",
            service="Maskinservice|Underhåll|Mätteknik|Renovering",
            training="Utbildningscenter|Teknikcollege|Akademi",
        ),
        orders=("ST",),
        affiliates=_w("Handelskammaren {c}|Teknikklustret {c}|Företagarna {c}"),
        town_hall="{c} kommun",
        school="Teknikcollege {c}",
    ),
    "fi": _Locale(
        male=_w(
            "Juha|Timo|Matti|Mikko|Jari|Kari|Antti|Jukka|Markku|Pekka|Mika|Sami|Ville|Janne|"
            "Tuomas|Jyrki"
        ),
        female=_w(
            "Anna|Tiina|Sari|Päivi|Minna|Riitta|Johanna|Kaisa|Leena|Satu|Hanna|Elina|Sanna|"
            "Eeva|Liisa|Mervi"
        ),
        surnames=_w(
            "Korhonen|Virtanen|Mäkinen|Nieminen|Mäkelä|Hämäläinen|Laine|Heikkinen|Koskinen|"
            "Järvinen|Lehtonen|Lehtinen|Saarinen|Salminen|Heinonen|Niemi|Heikkilä|Kinnunen|"
            "Salonen|Turunen|Jääskeläinen|Räsänen"
        ),
        trades=_trades(
            machine="Konepaja|Työstökone|Tarkkuusmekaniikka|Koneistus|Levytyö|Hiomo",
            component="Voimansiirto|Hydrauliikka|Kiinnitystekniikka",
            supplier="Teräs|Valimo|Karkaisu|Takomo",
            distributor="Konekauppa|Teollisuustarvike|Työkalu",
            user="Ajoneuvokomponentit|Muotti|Lentotekniikka",
            service="Huolto|Kunnossapito|Mittaustekniikka",
            training="Koulutuskeskus|Akatemia",
        ),
        orders=("TS", "ST"),
        affiliates=_w(
            "{c} Region Chamber of Commerce|{c} Manufacturing Cluster|"
            "Technology Industries Network {c}"
        ),
        town_hall="City of {c}",
        school="{c} Vocational College",
    ),
    "tr": _Locale(
        male=_w(
            "Mehmet|Mustafa|Ahmet|Ali|Hüseyin|Hasan|İbrahim|Murat|Emre|Burak|Serkan|Onur|Kerem|"
            "Çağlar|Barış|Oğuz|Gökhan"
        ),
        female=_w(
            "Ayşe|Fatma|Emine|Zeynep|Elif|Hatice|Merve|Özlem|Gülşen|Selin|Derya|Büşra|Esra|Ebru|"
            "Şule|Tuğba"
        ),
        surnames=_w(
            "Yılmaz|Kaya|Demir|Şahin|Çelik|Yıldız|Yıldırım|Öztürk|Aydın|Özdemir|Arslan|Doğan|"
            "Kılıç|Aslan|Çetin|Kara|Koç|Kurt|Özkan|Şimşek|Polat|Güneş|Aksoy|Tekin|Karaca|"
            "Bulut|Ünal"
        ),
        trades=_trades(
            machine="Takım Tezgahları|Makine|Hassas İşleme|Talaşlı İmalat|Sac İşleme|CNC Makine|"
            "Makina Sanayi",
            component="Hidrolik|Rulman|Aktarma Organları|Bağlama Sistemleri",
            supplier="Çelik|Döküm|Isıl İşlem|Dövme",
            distributor="Makine Ticaret|Endüstriyel Malzeme|Takım Ticaret",
            user="Otomotiv Yan Sanayi|Kalıp|Havacılık|Raylı Sistemler",
            service="Teknik Servis|Bakım Onarım|Metroloji",
            training="Eğitim Merkezi|Teknik Akademi",
        ),
        orders=("ST",),
        affiliates=_w(
            "{c} Ticaret ve Sanayi Odası|{c} Makine Kümesi|{c} Sanayici ve İş İnsanları Derneği"
        ),
        town_hall="{c} Büyükşehir Belediyesi",
        school="{c} Mesleki ve Teknik Anadolu Lisesi",
    ),
    "pl": _Locale(
        male=_w(
            "Piotr|Krzysztof|Andrzej|Tomasz|Paweł|Michał|Marcin|Grzegorz|Jakub|Łukasz|Adam|"
            "Mateusz|Wojciech|Rafał|Dariusz|Jarosław"
        ),
        female=_w(
            "Anna|Katarzyna|Małgorzata|Agnieszka|Barbara|Ewa|Magdalena|Joanna|Aleksandra|"
            "Monika|Zofia|Beata|Dorota|Justyna|Karolina"
        ),
        surnames=_w(
            "Nowak|Kowalski|Wiśniewski|Wójcik|Kowalczyk|Kamiński|Lewandowski|Zieliński|"
            "Szymański|Woźniak|Dąbrowski|Kozłowski|Jankowski|Mazur|Kwiatkowski|Krawczyk|"
            "Piotrowski|Grabowski|Pawłowski|Michalski|Król|Wieczorek|Jabłoński|Wróbel|Zając|"
            "Stępień"
        ),
        trades=_trades(
            machine="Obrabiarki|Zakład Mechaniczny|Fabryka Maszyn|Obróbka Skrawaniem|Precyzja|"
            "Narzędziownia",
            component="Napędy|Hydraulika|Wrzeciona|Systemy Mocowań",
            supplier="Stal|Odlewnia|Hartownia|Kuźnia",
            distributor="Handel Maszynami|Zaopatrzenie Przemysłu|Narzędzia",
            user="Części Samochodowe|Formy Wtryskowe|Lotnictwo",
            service="Serwis Maszyn|Utrzymanie Ruchu|Metrologia",
            training="Centrum Szkoleniowe|Akademia Techniczna",
        ),
        orders=("TS",),
        affiliates=_w(
            "Izba Przemysłowo-Handlowa, {c}|Klaster Obróbki Metali, {c}|"
            "Stowarzyszenie Przedsiębiorców, {c}"
        ),
        town_hall="Miasto {c}",
        school="Zespół Szkół Mechanicznych, {c}",
        feminine=_feminine_pl,
    ),
    "da": _Locale(
        male=_w(
            "Jens|Peter|Lars|Søren|Niels|Henrik|Morten|Anders|Rasmus|Mads|Jesper|Thomas|Mikkel|"
            "Jørgen|Bjørn|Kasper"
        ),
        female=_w(
            "Anne|Kirsten|Mette|Hanne|Lene|Susanne|Camilla|Louise|Maria|Line|Pernille|Signe|"
            "Ida|Freja|Birgit|Gitte"
        ),
        surnames=_w(
            "Jensen|Nielsen|Hansen|Pedersen|Andersen|Christensen|Larsen|Sørensen|Rasmussen|"
            "Jørgensen|Petersen|Madsen|Kristensen|Olsen|Thomsen|Christiansen|Poulsen|Johansen|"
            "Møller|Mortensen|Østergaard|Kjær|Lauritsen|Bækgaard"
        ),
        trades=_trades(
            machine="Maskinfabrik|Præcisionsmekanik|Værktøjsmaskiner|Bearbejdning|Pladeteknik",
            component="Drivteknik|Hydraulik|Spændeteknik",
            supplier="Stål|Støberi|Hærderi",
            distributor="Maskinhandel|Industriforsyning|Værktøj",
            user="Bilkomponenter|Vindenergi|Medicoteknik",
            service="Maskinservice|Vedligehold|Måleteknik",
            training="Uddannelsescenter|Akademi",
        ),
        orders=("ST",),
        affiliates=_w("Erhvervsforeningen {c}|Produktionsklyngen {c}|Dansk Industri {c}"),
        town_hall="{c} Kommune",
        school="{c} Tekniske Skole",
    ),
}


@dataclass(frozen=True)
class _Country:
    code: str
    language: str
    timezone: str
    phone: str  # "#" stands for a digit
    forms: tuple[tuple[str, str], ...]  # legal form and the language it goes with ("": any)
    cities: tuple[tuple[str, str], ...]  # city and its language
    weight: int  # share of the generated enterprises
    officer: int  # which demo officer looks after the country (0, 1, 2)


def _country(
    code: str,
    language: str,
    timezone: str,
    phone: str,
    forms: str,
    cities: str,
    weight: int,
    officer: int,
) -> _Country:
    def split(text: str) -> tuple[tuple[str, str], ...]:
        return tuple(
            (part.split("@")[0], part.split("@")[1] if "@" in part else "") for part in _w(text)
        )

    return _Country(
        code=code,
        language=language,
        timezone=timezone,
        phone=phone,
        forms=split(forms),
        cities=tuple((city, lang or language) for city, lang in split(cities)),
        weight=weight,
        officer=officer,
    )


COUNTRIES: dict[str, _Country] = {
    c.code: c
    for c in (
        _country(
            "DE", "de", "Europe/Berlin", "+49 ### #######", "GmbH|GmbH|GmbH & Co. KG|AG|KG",
            "Stuttgart|München|Düsseldorf|Chemnitz|Bielefeld|Nürnberg|Augsburg|Köln|Hannover|"
            "Esslingen am Neckar|Pforzheim|Tuttlingen|Aachen|Dortmund", 22, 0,
        ),
        _country(
            "IT", "it", "Europe/Rome", "+39 0## #######", "S.r.l.|S.r.l.|S.p.A.|S.n.c.",
            "Milano|Bologna|Brescia|Torino|Bergamo|Vicenza|Reggio Emilia|Padova|Lecco|Modena",
            18, 1,
        ),
        _country(
            "ES", "es", "Europe/Madrid", "+34 9## ### ###", "S.L.|S.L.|S.A.|S.L.U.",
            "Bilbao|Eibar|Elgoibar|Barcelona|Zaragoza|Vitoria-Gasteiz|Donostia-San Sebastián|"
            "Madrid|Valencia|Pamplona", 7, 1,
        ),
        _country(
            "FR", "fr", "Europe/Paris", "+33 # ## ## ## ##", "SAS|SAS|SARL|SA",
            "Lyon|Paris|Annecy|Cluses|Saint-Étienne|Grenoble|Toulouse|Mulhouse|Besançon|Nantes",
            7, 1,
        ),
        _country(
            # Ofcom keeps 0121 496 0xxx free for drama: these numbers reach nobody.
            "GB", "en", "Europe/London", "+44 121 496 0###", "Ltd|Ltd|Limited|plc",
            "Birmingham|Coventry|Sheffield|Manchester|Leicester|Wolverhampton|Derby|Bristol|"
            "Huddersfield|Glasgow", 6, 2,
        ),
        _country(
            "CH", "de", "Europe/Zurich", "+41 ## ### ## ##", "AG@de|GmbH@de|SA@fr|Sàrl@fr|SA@it",
            "Zürich|Winterthur|St. Gallen|Basel|Luzern|Biel/Bienne|Genève@fr|"
            "La Chaux-de-Fonds@fr|Lausanne@fr|Lugano@it", 6, 0,
        ),
        _country(
            "CZ", "cs", "Europe/Prague", "+420 ### ### ###", "s.r.o.|s.r.o.|a.s.",
            "Praha|Brno|Ostrava|Plzeň|Kuřim|Olomouc|Zlín|Hradec Králové|Liberec|"
            "České Budějovice", 5, 0,
        ),
        _country(
            "NL", "nl", "Europe/Amsterdam", "+31 ## ### ####", "B.V.",
            "Eindhoven|Rotterdam|Utrecht|Enschede|Helmond|Venlo|Zwolle|Tilburg|"
            "'s-Hertogenbosch|Apeldoorn", 4, 2,
        ),
        _country(
            "PT", "pt", "Europe/Lisbon", "+351 2## ### ###", "Lda.|Lda.|S.A.",
            "Porto|Leiria|Marinha Grande|Braga|Aveiro|Lisboa|Guimarães|Oliveira de Azeméis|"
            "Águeda|Coimbra", 4, 1,
        ),
        _country(
            "BE", "nl", "Europe/Brussels", "+32 # ### ## ##", "NV@nl|BV@nl|SA@fr|SRL@fr",
            "Antwerpen|Gent|Kortrijk|Leuven|Hasselt|Brugge|Liège@fr|Charleroi@fr|Namur@fr|"
            "Mons@fr", 3, 2,
        ),
        _country(
            "SE", "sv", "Europe/Stockholm", "+46 ## ### ## ##", "AB",
            "Göteborg|Stockholm|Västerås|Eskilstuna|Jönköping|Sandviken|Linköping|Malmö|"
            "Örebro|Trollhättan", 4, 2,
        ),
        _country(
            "FI", "fi", "Europe/Helsinki", "+358 # ### ####", "Oy|Oy|Oyj",
            "Helsinki|Tampere|Turku|Jyväskylä|Oulu|Lahti|Vaasa|Espoo|Seinäjoki|Hämeenlinna", 2, 2,
        ),
        _country(
            "TR", "tr", "Europe/Istanbul", "+90 2## ### ## ##", "San. ve Tic. A.Ş.|A.Ş.|Ltd. Şti.",
            "İstanbul|Bursa|Konya|Ankara|İzmir|Kocaeli|Kayseri|Eskişehir|Gaziantep|Manisa", 6, 1,
        ),
        _country(
            "AT", "de", "Europe/Vienna", "+43 ### ######", "GmbH|GmbH|Ges.m.b.H.|AG",
            "Wien|Linz|Graz|Steyr|Salzburg|Wels|Innsbruck", 3, 0,
        ),
        _country(
            "PL", "pl", "Europe/Warsaw", "+48 ## ### ## ##", "Sp. z o.o.|Sp. z o.o.|S.A.",
            "Warszawa|Poznań|Wrocław|Kraków|Łódź|Gdańsk|Katowice|Bydgoszcz|Rzeszów|"
            "Bielsko-Biała", 2, 0,
        ),
        _country(
            "DK", "da", "Europe/Copenhagen", "+45 ## ## ## ##", "A/S|ApS",
            "København|Aarhus|Odense|Aalborg|Vejle|Horsens|Herning|Kolding", 1, 2,
        ),
        _country("IE", "en", "Europe/Dublin", "+353 1 ### ####", "Ltd|DAC", "Dublin", 0, 2),
    )
}  # fmt: skip

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

_TRANSLITERATION = {
    "de": str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}),
    "da": str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}),
}
_TRANSLITERATE_ANY = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "ı": "i", "đ": "d"}
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str, language: str = "") -> str:
    """Lower-case ASCII as people write their names in e-mail addresses (Müller -> mueller)."""
    lowered = text.lower()
    if language in _TRANSLITERATION:
        lowered = lowered.translate(_TRANSLITERATION[language])
    lowered = lowered.translate(_TRANSLITERATE_ANY)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def size_class_for(headcount: int) -> str:
    """The EU size class by headcount (micro < 10, small < 50, medium < 250, else large)."""
    if headcount < 10:
        return "micro"
    if headcount < 50:
        return "small"
    if headcount < 250:
        return "medium"
    return "large"


# Turnover ceilings of the EU SME definition; an SME above its ceiling would change class.
TURNOVER_CEILING = {"micro": 2_000_000, "small": 10_000_000, "medium": 50_000_000}


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(day: date, hour: int, minute: int, timezone: str) -> datetime:
    """A wall-clock time in ``timezone`` as an aware UTC datetime (what the columns store)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=_zone(timezone)).astimezone(
        UTC
    )


def _workday(day: date) -> date:
    """Move weekends and the Christmas break back to a working day before them.

    Always backwards, so a moment drawn in the past never lands in the future.
    """
    if day.month == 12 and day.day >= 22:
        day = date(day.year, 12, 19)
    elif day.month == 1 and day.day <= 6:
        day = date(day.year - 1, 12, 19)
    weekday = day.weekday()
    return day - timedelta(days=weekday - 4) if weekday > 4 else day


# ------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------

# Tables whose ids the generator assigns itself (PostgreSQL's sequences are moved past them).
_ID_TABLES: tuple[sa.Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (
        Tag,
        Material,
        Organisation,
        OrganisationLink,
        Person,
        Position,
        ConsentRecord,
        Event,
        EventParticipant,
        OutreachRecord,
        FollowUp,
        Reminder,
        Target,
    )
)


class _Writer:
    """Buffers rows per table and writes them in chunks, parent tables before their children.

    Every row of one table must carry the same keys: Core sends a chunk as one executemany.
    """

    def __init__(self, chunk_rows: int = CHUNK_ROWS) -> None:
        tables = Base.metadata.sorted_tables
        self._rank = {table.name: rank for rank, table in enumerate(tables)}
        self._tables = {table.name: table for table in tables}
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._pending = 0
        self._chunk_rows = chunk_rows
        self.counts: dict[str, int] = {}

    def add(self, table: sa.Table, row: dict[str, Any]) -> None:
        self._buffers.setdefault(table.name, []).append(row)
        self._pending += 1

    def flush_if_full(self) -> None:
        if self._pending >= 4 * self._chunk_rows:
            self.flush()

    def flush(self) -> None:
        for name in sorted(self._buffers, key=self._rank.__getitem__):
            rows = self._buffers[name]
            table = self._tables[name]
            for start in range(0, len(rows), self._chunk_rows):
                db.session.execute(sa.insert(table), rows[start : start + self._chunk_rows])
            self.counts[name] = self.counts.get(name, 0) + len(rows)
        self._buffers.clear()
        self._pending = 0


# ------------------------------------------------------------------------------------------
# Generation
# ------------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Org:
    id: int
    name: str
    short: str  # acronym or name, for subjects and titles
    kind: str
    country: str
    language: str
    city: str
    domain: str
    email_style: int
    officer: int
    detail: str = ""  # size class, value-chain role, policy level or other category
    people: list[int] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _EventPlan:
    kind: str
    title: str
    day: date  # the first day
    days: int
    timezone: str
    country: str | None
    city: str | None
    venue: str | None
    organiser_name: str
    organiser: _Org | None
    our_role: str
    online_url: str | None = None
    hours: tuple[int, int] = (9, 17)  # local start and end hour of timed events

    @property
    def first_moment(self) -> datetime:
        return _local(self.day, self.hours[0], 0, self.timezone)


@dataclass(slots=True, eq=False)
class _PastEvent:
    """A past event that took place, for outreach logged at it with its attendees."""

    id: int
    kind: str
    title: str
    codes: list[str]
    day: date
    days: int
    timezone: str
    hours: tuple[int, int]
    country: str | None
    attendees: list[int]


@dataclass(slots=True, eq=False)
class _Touch:
    """One outreach record before it is written: what a scenario decided."""

    channel: str
    direction: str
    subject: str
    codes: list[str]
    people: list[int]
    orgs: list[int]
    materials: list[int]
    occurred: datetime
    country: str | None
    event_id: int | None = None
    profile: str = "default"  # which outcome distribution applies
    logger: int | None = None  # who logged it, when the scenario decides


# The sub-item every event of a kind serves, and others it serves with some probability.
EVENT_CODES: dict[str, tuple[str, tuple[tuple[str, float], ...]]] = {
    "trade-fair": ("1.3c", (("1.3b", 0.7), ("2.3", 0.4))),
    "conference": ("1.3c", (("1.1", 0.5), ("2.3", 0.3))),
    "workshop": ("2.1", (("2.2", 0.6), ("1.3b", 0.4))),
    "training-course": ("1.2", (("2.2", 0.5),)),
    "webinar": ("1.1", (("2.1", 0.5), ("1.2", 0.3))),
    "policy-round-table": ("3.2", (("3.1", 0.5),)),
    "general-assembly": ("1.3a", (("3.1", 0.3),)),
}
EVENT_DESCRIPTIONS = {
    "trade-fair": "Strategic sectoral trade fair; DESIGN-MTS materials at the stand and meetings "
    "with exhibitors.",
    "conference": "Sector conference with a session on corporate social responsibility.",
    "workshop": "Hands-on workshop for machine-tool companies, hosted locally.",
    "training-course": "Training course based on the DESIGN-MTS training modules.",
    "webinar": "Online session of the DESIGN-MTS webinar series.",
    "policy-round-table": "Round table with policy makers on the DESIGN-MTS recommendations.",
    "general-assembly": "General assembly of a national association, with a DESIGN-MTS slot.",
}


def _weighted(pairs: Sequence[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    """Values and cumulative weights for ``random.choices``."""
    values, cumulative, total = [], [], 0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cumulative.append(total)
    return values, cumulative


OUTCOMES = {
    "default": _weighted(
        [("informed", 35), ("interested", 28), ("committed", 10), ("declined", 6),
         ("no-response", 11), (None, 10)]
    ),
    "mailing": _weighted([("informed", 70), ("no-response", 25), (None, 5)]),
    "helpdesk": _weighted([("informed", 60), ("interested", 25), ("committed", 10), (None, 5)]),
    "event": _weighted([("informed", 40), ("interested", 35), ("committed", 12), (None, 13)]),
    "social": _weighted([(None, 60), ("informed", 40)]),
}  # fmt: skip
SCENARIOS = _weighted(
    [("enterprise", 34), ("helpdesk", 7), ("association", 8), ("affiliate", 6),
     ("value-chain", 7), ("policy", 6), ("other", 4), ("mailing", 4), ("training", 5),
     ("event", 16), ("social", 3)]
)  # fmt: skip
EVENT_WEIGHTS = {
    "trade-fair": 6, "conference": 2, "workshop": 2, "training-course": 2, "webinar": 2,
    "policy-round-table": 1, "general-assembly": 1,
}  # fmt: skip
EVENT_CHANNELS = {
    "trade-fair": "meeting", "conference": "meeting", "workshop": "meeting",
    "training-course": "training", "webinar": "webinar", "policy-round-table": "meeting",
    "general-assembly": "meeting",
}  # fmt: skip
LANGUAGE_NAMES = {
    "de": "German", "it": "Italian", "es": "Spanish", "fr": "French", "en": "English",
    "cs": "Czech", "nl": "Dutch", "pt": "Portuguese", "sv": "Swedish", "fi": "Finnish",
    "tr": "Turkish", "pl": "Polish", "da": "Danish",
}  # fmt: skip


class _Generator:
    """One run of the demo generator; holds the lookups the later stages draw from."""

    def __init__(self, scale: int, seed: int, anchor: date, progress: Progress) -> None:
        self.scale = scale
        self.seed = seed
        self.anchor = anchor
        self.anchor_at = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
        self.window_start = anchor - timedelta(days=WINDOW_DAYS)
        self.progress = progress
        self.writer = _Writer()
        self.next_ids: dict[str, int] = {}
        self.subitems: dict[str, int] = {}
        self.user_ids: dict[str, int] = {}
        self.officers: list[int] = []
        self.tag_ids: dict[str, int] = {}
        self.materials: dict[str, int] = {}
        self.orgs: list[_Org] = []
        self.by_kind: dict[str, list[_Org]] = {}
        self.by_kind_country: dict[tuple[str, str], list[_Org]] = {}
        self.associations: dict[str, _Org] = {}  # national association by country
        self.domains: set[str] = set()
        self.org_names: set[str] = set()
        self.emails: set[str] = set()
        self.people: list[tuple[str, str, _Org]] = []  # full name, role, current organisation
        self.first_person_id = 0
        self.people_by_role: dict[str, list[int]] = {}
        self.people_by_kind_country: dict[tuple[str, str], list[int]] = {}
        self.people_by_role_country: dict[tuple[str, str], list[int]] = {}
        self.pools: dict[str, list[_Org]] = {}
        self.first_org_id = 0
        self.event_weights: list[int] = []
        self.past_events: list[_PastEvent] = []
        self.audit_rows = 0

    # Helpers -------------------------------------------------------------------------------
    def rng(self, stage: str) -> random.Random:
        """A generator per stage, so that changing one stage does not reshuffle the others."""
        return random.Random(f"crm-demo/{self.seed}/{stage}")

    def new_id(self, table: sa.Table) -> int:
        value = self.next_ids[table.name]
        self.next_ids[table.name] = value + 1
        return value

    def days_ago(self, rng: random.Random, low: int, high: int) -> datetime:
        """A moment between ``high`` and ``low`` days before the anchor, to the second."""
        seconds = rng.randrange(low * 86_400, high * 86_400)
        return self.anchor_at - timedelta(seconds=seconds)

    def officer_for(self, country: str) -> int:
        return self.officers[COUNTRIES[country].officer]

    def phone(self, rng: random.Random, country: str) -> str:
        return "".join(
            str(rng.randrange(10)) if ch == "#" else ch for ch in COUNTRIES[country].phone
        )

    def domain(self, base: str) -> str:
        slug = _NOT_SLUG.sub("-", base).strip("-") or "org"
        if len(slug) > 40:
            slug = slug[:40].rsplit("-", 1)[0]
        candidate, n = slug, 1
        while candidate in self.domains:
            n += 1
            candidate = f"{slug}-{n}"
        self.domains.add(candidate)
        return candidate + ".example"

    # Reference data ------------------------------------------------------------------------
    def load_reference(self) -> None:
        for table in _ID_TABLES:
            highest = db.session.scalar(sa.select(sa.func.max(table.c.id)))
            self.next_ids[table.name] = (highest or 0) + 1
        rows = db.session.execute(
            sa.select(CommitmentItem.code, CommitmentItem.id)
            .join(Framework, Framework.id == CommitmentItem.framework_id)
            .where(Framework.key == FRAMEWORK_KEY)
        )
        self.subitems = {code: item_id for code, item_id in rows}

    def create_users(self, password: str) -> list[tuple[str, str]]:
        hashed = hash_password(password)  # once: argon2 is slow on purpose
        since = self.anchor_at - timedelta(days=WINDOW_DAYS + 30)
        users = [
            User(
                email=email,
                role=Role(role),
                full_name=name,
                timezone=timezone,
                password_hash=hashed,
                created_at=since,
                updated_at=since,
                password_changed_at=since,
            )
            for email, role, name, timezone in DEMO_USERS
        ]
        db.session.add_all(users)
        db.session.flush()
        for user in users:
            audit.record(
                "create",
                "user",
                user.id,
                None,
                {"email": [None, user.email], "role": [None, user.role.value]},
                summary="demo account",
            )
            self.user_ids[user.email.split("@")[0]] = user.id
        self.audit_rows += len(users)
        self.officers = [self.user_ids[f"officer{n}"] for n in (1, 2, 3)]
        return [(user.email, user.role.value) for user in users]

    def create_tags_and_materials(self) -> None:
        existing = {
            name: tag_id for name, tag_id in db.session.execute(sa.select(Tag.name, Tag.id))
        }
        for name in TAGS:
            if name in existing:
                self.tag_ids[name] = existing[name]
                continue
            tag_id = self.new_id(Tag.__table__)
            self.writer.add(Tag.__table__, {"id": tag_id, "name": name})
            self.tag_ids[name] = tag_id
        published = self.anchor_at - timedelta(days=WINDOW_DAYS + 20)
        for key, kind, title, audience, language in MATERIALS:
            material_id = self.new_id(Material.__table__)
            slug = key.replace(":", "-")
            self.writer.add(
                Material.__table__,
                {
                    "id": material_id,
                    "kind": kind,
                    "title": title,
                    "audience": audience,
                    "language_code": language,
                    "url": f"https://design-mts.example/materials/{slug}",
                    "description": "Produced by the DESIGN-MTS programme.",
                    "created_at": published,
                    "updated_at": published,
                    "version": 1,
                },
            )
            self.materials[key] = material_id

    # Organisations -------------------------------------------------------------------------
    def company_name(
        self, rng: random.Random, country: str, language: str, trade: str
    ) -> tuple[str, str]:
        """A plausible, unused company name and its core (the name without the legal form)."""
        locale = LOCALES[language]
        forms = [form for form, lang in COUNTRIES[country].forms if not lang or lang == language]
        name = core = ""
        for attempt in range(8):
            surname = rng.choice(locale.surnames)
            if attempt >= 4 or rng.random() < 0.12:
                partner = rng.choice(locale.surnames)
                if partner != surname:
                    surname = f"{surname} & {partner}"
            word = rng.choice(locale.trades[trade])
            core = f"{surname} {word}" if rng.choice(locale.orders) == "ST" else f"{word} {surname}"
            core = core[0].upper() + core[1:]
            name = f"{core} {rng.choice(forms)}"
            if name not in self.org_names:
                break
        self.org_names.add(name)
        return name, core

    def add_organisation(
        self,
        rng: random.Random,
        *,
        name: str,
        acronym: str,
        kind: str,
        country: str,
        city: str,
        language: str,
        domain_base: str,
        detail: str = "",
        values: dict[str, Any] | None = None,
        notes: str = "",
    ) -> _Org:
        org_id = self.new_id(Organisation.__table__)
        domain = self.domain(ascii_fold(domain_base, language))
        officer = self.officer_for(country)
        created = (
            self.days_ago(rng, WINDOW_DAYS, WINDOW_DAYS + 300)
            if rng.random() < 0.8
            else self.days_ago(rng, 1, WINDOW_DAYS)
        )
        row: dict[str, Any] = {
            "id": org_id,
            "name": name,
            "name_normalised": normalise_text(name)[:200],
            "acronym": acronym or None,
            "kind": kind,
            "country_code": country,
            "city": city or None,
            "website": f"https://www.{domain}",
            "email": f"{LOCALES[language].info}@{domain}",
            "phone": self.phone(rng, country),
            "language_code": language,
            "headcount": None,
            "turnover_eur": None,
            "size_class": None,
            "value_chain_role": None,
            "policy_body_type": None,
            "policy_level": None,
            "other_category": None,
            "notes": notes,
            "responsible_officer_id": officer,
            "created_by_id": officer,
            "created_at": created,
            "updated_at": created,
            "version": 1,
            "deleted_at": None,
        }
        if values:
            row.update(values)
        self.writer.add(Organisation.__table__, row)
        org = _Org(
            id=org_id,
            name=name,
            short=acronym or name,
            kind=kind,
            country=country,
            language=language,
            city=city,
            domain=domain,
            email_style=rng.randrange(5),
            officer=officer,
            detail=detail,
        )
        self.orgs.append(org)
        self.by_kind.setdefault(kind, []).append(org)
        self.by_kind_country.setdefault((kind, country), []).append(org)
        if rng.random() < 0.2:
            tags = ORGANISATION_TAGS[kind]
            for tag in rng.sample(tags, rng.randint(1, min(2, len(tags)))):
                self.writer.add(
                    organisation_tags, {"organisation_id": org_id, "tag_id": self.tag_ids[tag]}
                )
        self.progress.advance()
        self.writer.flush_if_full()
        return org

    def organisation_plan(self) -> dict[str, int]:
        """How many organisations of each generated group this scale gives (for progress)."""
        per_country = {code: len(c.cities) for code, c in COUNTRIES.items() if c.weight}
        affiliates = sum(
            min(3 * self.scale, 3 * len(COUNTRIES[country].cities))
            for _, _, country, _, _ in NATIONAL_ASSOCIATIONS
        )
        return {
            "fixed": 1 + len(NATIONAL_ASSOCIATIONS) + len(POLICY_BODIES) + len(OTHER_ORGANISATIONS),
            "affiliates": affiliates,
            "local": sum(min(self.scale, n) for n in per_country.values()),
            "schools": sum(min(self.scale, n) for n in per_country.values()),
            "enterprises": ENTERPRISES_PER_SCALE * self.scale,
            "value-chain": VALUE_CHAIN_PER_SCALE * self.scale,
        }

    def create_organisations(self) -> None:
        rng = self.rng("organisations")
        self.progress.start("organisations", sum(self.organisation_plan().values()))
        acronym, name, country, city, language = CECIMO
        cecimo = self.add_organisation(
            rng, name=name, acronym=acronym, kind="national-association", country=country,
            city=city, language=language, domain_base=acronym,
            notes="European umbrella of the national machine-tool associations.",
        )  # fmt: skip
        for acronym, name, country, city, language in NATIONAL_ASSOCIATIONS:
            association = self.add_organisation(
                rng, name=name, acronym=acronym, kind="national-association", country=country,
                city=city, language=language, domain_base=acronym,
            )  # fmt: skip
            self.associations[country] = association
            self.link(rng, association, cecimo, "member-of", since_years=(5, 40))
        for association in list(self.associations.values()):
            country = COUNTRIES[association.country]
            pool = [
                (template.format(c=city), city, language)
                for city, language in country.cities
                for template in LOCALES[language].affiliates
            ]
            for name, city, language in rng.sample(pool, min(3 * self.scale, len(pool))):
                affiliate = self.add_organisation(
                    rng, name=name, acronym="", kind="affiliate", country=country.code, city=city,
                    language=language, domain_base=name, notes=self.note(rng, "affiliate"),
                )  # fmt: skip
                self.link(rng, affiliate, association, "affiliate-of", since_years=(2, 30))
        for name, acronym, body_type, level, country, city, language in POLICY_BODIES:
            self.add_organisation(
                rng, name=name, acronym=acronym, kind="policy-body", country=country, city=city,
                language=language, domain_base=acronym or name, detail=level,
                values={"policy_body_type": body_type, "policy_level": level},
            )  # fmt: skip
        for code, country in COUNTRIES.items():
            if not country.weight:
                continue
            for city, language in rng.sample(country.cities, min(self.scale, len(country.cities))):
                name = LOCALES[language].town_hall.format(c=city)
                self.add_organisation(
                    rng, name=name, acronym="", kind="policy-body", country=code, city=city,
                    language=language, domain_base=name, detail="local",
                    values={"policy_body_type": "local-authority", "policy_level": "local"},
                )  # fmt: skip
        for name, acronym, category, country, city, language in OTHER_ORGANISATIONS:
            self.add_organisation(
                rng, name=name, acronym=acronym, kind="other", country=country, city=city,
                language=language, domain_base=acronym or name, detail=category,
                values={"other_category": category},
            )  # fmt: skip
        for code, country in COUNTRIES.items():
            if not country.weight:
                continue
            for city, language in rng.sample(country.cities, min(self.scale, len(country.cities))):
                name = LOCALES[language].school.format(c=city)
                self.add_organisation(
                    rng, name=name, acronym="", kind="other", country=code, city=city,
                    language=language, domain_base=name, detail="research-education",
                    values={"other_category": "research-education"},
                )  # fmt: skip
        self.create_enterprises(rng)
        self.create_value_chain(rng)
        self.writer.flush()
        self.progress.finish()

    def note(self, rng: random.Random, kind: str) -> str:
        notes = ORGANISATION_NOTES.get(kind)
        if not notes or rng.random() > 0.1:
            return ""
        return rng.choice(notes).format(year=rng.randint(1920, 2005))

    def create_enterprises(self, rng: random.Random) -> None:
        countries = [code for code, country in COUNTRIES.items() if country.weight]
        weights = [COUNTRIES[code].weight for code in countries]
        sizes = _weighted([("micro", 55), ("small", 30), ("medium", 12), ("large", 3)])
        count = ENTERPRISES_PER_SCALE * self.scale
        for code, size in zip(
            rng.choices(countries, weights=weights, k=count),
            rng.choices(sizes[0], cum_weights=sizes[1], k=count),
            strict=True,
        ):
            city, language = rng.choice(COUNTRIES[code].cities)
            name, core = self.company_name(rng, code, language, "machine")
            headcount = self.headcount(rng, size)
            per_head = rng.uniform(90_000, 260_000)
            turnover = min(headcount * per_head, TURNOVER_CEILING.get(size, math.inf))
            enterprise = self.add_organisation(
                rng, name=name, acronym="", kind="enterprise", country=code, city=city,
                language=language, domain_base=core, detail=size,
                values={
                    "headcount": headcount,
                    "turnover_eur": Decimal(int(turnover) // 1000 * 1000),
                    "size_class": size_class_for(headcount),
                },
                notes=self.note(rng, "enterprise"),
            )  # fmt: skip
            association = self.associations.get(code)
            membership = {"micro": 0.3, "small": 0.45, "medium": 0.7, "large": 0.9}[size]
            if association is not None and rng.random() < membership:
                self.link(rng, enterprise, association, "member-of", since_years=(1, 30))
            affiliates = self.by_kind_country.get(("affiliate", code))
            if affiliates and rng.random() < 0.25:
                self.link(rng, enterprise, rng.choice(affiliates), "member-of", since_years=(1, 15))
        large = [org for org in self.by_kind["enterprise"] if org.detail == "large"]
        for org in self.by_kind["enterprise"]:
            if large and org.detail in ("small", "medium") and rng.random() < 0.02:
                self.link(rng, org, rng.choice(large), "subsidiary-of", since_years=(1, 20))

    @staticmethod
    def headcount(rng: random.Random, size: str) -> int:
        if size == "micro":
            return rng.randint(1, 9)
        if size == "small":
            return 10 + int(40 * rng.random() ** 1.3)
        if size == "medium":
            return 50 + int(200 * rng.random() ** 1.5)
        return int(250 * math.exp(3 * rng.random() ** 1.5))

    def create_value_chain(self, rng: random.Random) -> None:
        countries = [code for code, country in COUNTRIES.items() if country.weight]
        weights = [COUNTRIES[code].weight for code in countries]
        roles = _weighted(
            [("supplier", 25), ("component-maker", 25), ("distributor", 15), ("user-industry", 15),
             ("service-provider", 12), ("training-provider", 8)]
        )  # fmt: skip
        trade = {
            "supplier": "supplier", "component-maker": "component", "distributor": "distributor",
            "user-industry": "user", "service-provider": "service",
            "training-provider": "training",
        }  # fmt: skip
        link_type = {
            "supplier": "supplier-to", "component-maker": "supplier-to",
            "distributor": "partner-of", "user-industry": "customer-of",
            "service-provider": "partner-of", "training-provider": "partner-of",
        }  # fmt: skip
        enterprises = self.by_kind["enterprise"]
        count = VALUE_CHAIN_PER_SCALE * self.scale
        for code, role in zip(
            rng.choices(countries, weights=weights, k=count),
            rng.choices(roles[0], cum_weights=roles[1], k=count),
            strict=True,
        ):
            city, language = rng.choice(COUNTRIES[code].cities)
            name, core = self.company_name(rng, code, language, trade[role])
            partner = self.add_organisation(
                rng, name=name, acronym="", kind="value-chain-partner", country=code, city=city,
                language=language, domain_base=core, detail=role,
                values={"value_chain_role": role},
                notes=self.note(rng, "value-chain-partner"),
            )  # fmt: skip
            if role == "training-provider" and code in self.associations:
                self.link(rng, partner, self.associations[code], "partner-of", since_years=(1, 8))
                continue
            local = self.by_kind_country.get(("enterprise", code)) or enterprises
            targets = {rng.choice(local if rng.random() < 0.7 else enterprises).id: None for _ in
                       range(rng.randint(1, 3))}  # fmt: skip
            for target_id in targets:
                self.link_ids(rng, partner.id, target_id, link_type[role], since_years=(1, 15))

    def link(
        self, rng: random.Random, source: _Org, target: _Org, link_type: str,
        since_years: tuple[int, int],
    ) -> None:  # fmt: skip
        self.link_ids(rng, source.id, target.id, link_type, since_years)

    def link_ids(
        self, rng: random.Random, source_id: int, target_id: int, link_type: str,
        since_years: tuple[int, int],
    ) -> None:  # fmt: skip
        starts = date(self.anchor.year - rng.randint(*since_years), rng.randint(1, 12), 1)
        ends = None
        if link_type == "member-of" and rng.random() < 0.04:
            ends = max(starts, self.anchor - timedelta(days=rng.randint(30, WINDOW_DAYS)))
        created = self.days_ago(rng, WINDOW_DAYS, WINDOW_DAYS + 300)
        self.writer.add(
            OrganisationLink.__table__,
            {
                "id": self.new_id(OrganisationLink.__table__),
                "source_id": source_id,
                "target_id": target_id,
                "link_type": link_type,
                "starts_on": starts,
                "ends_on": ends,
                "notes": "",
                "created_at": created,
                "updated_at": created,
                "version": 1,
            },
        )

    # People --------------------------------------------------------------------------------
    @staticmethod
    def people_weight(org: _Org) -> float:
        """How many contacts an organisation tends to have in the register, relatively."""
        if org.kind == "enterprise":
            return {"micro": 1.2, "small": 2.5, "medium": 5.0, "large": 10.0}[org.detail]
        return {
            "national-association": 12.0, "affiliate": 3.0, "value-chain-partner": 2.0,
            "policy-body": 2.0, "other": 2.0,
        }[org.kind]  # fmt: skip

    def role_and_title(self, rng: random.Random, org: _Org) -> tuple[str, str]:
        if org.kind in ("national-association", "affiliate"):
            role = "association-staff"
        elif org.kind == "enterprise":
            role = rng.choices(ROLES, weights=ENTERPRISE_ROLES[org.detail])[0]
        elif org.kind == "value-chain-partner":
            role = rng.choices(("manager", "employee", "employer-owner"), weights=(50, 35, 15))[0]
        elif org.kind == "policy-body":
            role = "policy-maker"
        elif org.detail == "trade-union":
            return "worker-representative", rng.choice(TITLES["trade-union"])
        else:
            return "other", rng.choice(TITLES[org.detail])
        return role, rng.choice(TITLES[role])

    def email(self, first: str, last: str, org: _Org) -> str:
        first_part = _NOT_SLUG.sub("", ascii_fold(first.split()[0], org.language))
        last_part = _NOT_SLUG.sub("", ascii_fold(last, org.language))
        style = org.email_style
        if style == 3:
            local = f"{first_part[:1]}.{last_part}"
        elif style == 4:
            local = f"{first_part[:1]}{last_part}"
        else:
            local = f"{first_part}.{last_part}"
        address, n = f"{local}@{org.domain}", 1
        while address in self.emails:
            n += 1
            address = f"{local}{n}@{org.domain}"
        self.emails.add(address)
        return address

    def create_people(self) -> None:
        rng = self.rng("people")
        total = PEOPLE_PER_SCALE * self.scale
        minimum: list[_Org] = []
        for org in self.orgs:
            if org.kind == "national-association":
                minimum += [org] * 3
            elif org.kind == "policy-body":
                minimum.append(org)
        weights = [self.people_weight(org) for org in self.orgs]
        allocation = minimum[:total] + rng.choices(
            self.orgs, weights=weights, k=max(0, total - len(minimum))
        )
        rng.shuffle(allocation)
        fairs = self.fair_names()
        self.first_person_id = self.next_ids[Person.__table__.name]
        self.progress.start("people", total)
        for done, org in enumerate(allocation, start=1):
            self.add_person(rng, org, fairs)
            if done % 500 == 0:
                self.progress.advance(500)
                self.writer.flush_if_full()
        self.progress.advance(total % 500)
        self.writer.flush()
        self.progress.finish()

    def fair_names(self) -> list[str]:
        names = []
        for title, *_rest, years, _organiser, _role in TRADE_FAIRS:
            for year in range(self.window_start.year - 2, self.anchor.year):
                if years(year):
                    names.append(f"{title} {year}")
        return names

    def add_person(self, rng: random.Random, org: _Org, fairs: list[str]) -> None:
        locale = LOCALES[org.language]
        female = rng.random() < (
            0.25 if org.kind in ("enterprise", "value-chain-partner") else 0.45
        )
        first = rng.choice(locale.female if female else locale.male)
        last = rng.choice(locale.surnames)
        if female and locale.feminine is not None:
            last = locale.feminine(last)
        role, title = self.role_and_title(rng, org)
        address = self.email(first, last, org)
        person_id = self.new_id(Person.__table__)
        created = (
            self.days_ago(rng, WINDOW_DAYS, WINDOW_DAYS + 300)
            if rng.random() < 0.75
            else self.days_ago(rng, 2, WINDOW_DAYS)
        )
        business = org.kind in ("enterprise", "value-chain-partner")
        basis = rng.choices(
            ("legitimate-interest", "consent", "contract"),
            weights=(84, 10, 6) if business else (90, 10, 0),
        )[0]
        association = self.associations.get(org.country)
        source = rng.choice(LAWFUL_BASIS_SOURCES[basis]).format(
            fair=rng.choice(fairs), association=association.short if association else "CECIMO"
        )
        officer = org.officer
        self.writer.add(
            Person.__table__,
            {
                "id": person_id,
                "first_name": first,
                "last_name": last,
                "name_normalised": normalise_text(f"{first} {last}"),
                "email": address,
                "email_normalised": address.lower(),
                "phone": self.phone(rng, org.country) if rng.random() < 0.75 else None,
                "country_code": org.country,
                "language_code": org.language,
                "notes": rng.choice(PERSON_NOTES) if rng.random() < 0.05 else "",
                "lawful_basis": basis,
                "lawful_basis_source": source,
                "is_restricted": rng.random() < 0.003,
                "erased_at": None,
                "erased_email_hash": None,
                "responsible_officer_id": officer,
                "created_by_id": officer,
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "deleted_at": None,
            },
        )
        # The current position; some people came from another organisation of the same kind.
        previous_pool = self.by_kind_country.get((org.kind, org.country), [])
        moved = len(previous_pool) > 1 and rng.random() < 0.07
        if moved:
            starts = self.anchor - timedelta(days=rng.randint(30, 900))
        else:
            starts = self.anchor - timedelta(days=rng.randint(60, 6000))
        self.add_position(person_id, org.id, title, role, starts, None, created)
        if moved:
            previous = rng.choice(previous_pool)
            if previous is not org:
                ended = starts - timedelta(days=rng.randint(1, 120))
                began = ended - timedelta(days=rng.randint(700, 5000))
                before_title = rng.choice(TITLES.get(role, TITLES["employee"]))
                self.add_position(person_id, previous.id, before_title, role, began, ended, created)
        self.add_consents(rng, person_id, basis, created)
        if rng.random() < 0.15:
            for tag in rng.sample(PERSON_TAGS, rng.randint(1, 2)):
                self.writer.add(person_tags, {"person_id": person_id, "tag_id": self.tag_ids[tag]})
        org.people.append(person_id)
        self.people.append((f"{first} {last}", role, org))
        self.people_by_role.setdefault(role, []).append(person_id)
        self.people_by_kind_country.setdefault((org.kind, org.country), []).append(person_id)
        self.people_by_role_country.setdefault((role, org.country), []).append(person_id)

    def add_position(
        self, person_id: int, org_id: int, title: str, role: str, starts: date,
        ends: date | None, created: datetime,
    ) -> None:  # fmt: skip
        self.writer.add(
            Position.__table__,
            {
                "id": self.new_id(Position.__table__),
                "person_id": person_id,
                "organisation_id": org_id,
                "title": title,
                "role": role,
                "starts_on": starts,
                "ends_on": ends,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            },
        )

    def add_consents(
        self, rng: random.Random, person_id: int, basis: str, created: datetime
    ) -> None:
        """Consent-based contacts carry their consent; some others opted into the newsletter."""
        if basis == "consent":
            purposes = ["contact-record"] + (["newsletter"] if rng.random() < 0.6 else [])
        elif rng.random() < 0.15:
            purposes = [rng.choice(("newsletter", "event-invitations", "training-offers"))]
        else:
            return
        for purpose in purposes:
            given = created + timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            given = min(given, self.anchor_at - timedelta(hours=1))
            self.add_consent(rng, person_id, purpose, "granted", given)
            if purpose != "contact-record" and rng.random() < 0.1:
                withdrawn = given + (self.anchor_at - given) * rng.random()
                self.add_consent(rng, person_id, purpose, "withdrawn", withdrawn)

    def add_consent(
        self, rng: random.Random, person_id: int, purpose: str, status: str, given: datetime
    ) -> None:
        by_form = rng.random() < 0.6
        self.writer.add(
            ConsentRecord.__table__,
            {
                "id": self.new_id(ConsentRecord.__table__),
                "person_id": person_id,
                "purpose": purpose,
                "status": status,
                "source": rng.choice(CONSENT_SOURCES)
                if status == "granted"
                else "Unsubscribe link in a mailing",
                "given_at": given,
                "recorded_at": min(given + timedelta(minutes=rng.randint(1, 600)), self.anchor_at),
                "recorded_by_id": None if by_form else rng.choice(self.officers),
            },
        )

    def person_name(self, person_id: int) -> str:
        return self.people[person_id - self.first_person_id][0]

    def person_org(self, person_id: int) -> _Org:
        return self.people[person_id - self.first_person_id][2]

    def person_role(self, person_id: int) -> str:
        return self.people[person_id - self.first_person_id][1]

    # Events --------------------------------------------------------------------------------
    def create_events(self) -> None:
        rng = self.rng("events")
        plans = self.fair_plans() + self.assembly_plans(rng) + self.generated_plans(rng)
        plans.sort(key=lambda plan: (plan.first_moment, plan.title))
        self.progress.start("events", len(plans))
        for plan in plans:
            self.add_event(rng, plan)
            self.progress.advance()
            self.writer.flush_if_full()
        self.writer.flush()
        self.progress.finish()

    def in_window(self, day: date) -> bool:
        return self.window_start <= day <= self.anchor + timedelta(days=AHEAD_DAYS)

    def fair_plans(self) -> list[_EventPlan]:
        plans = []
        fairs = TRADE_FAIRS
        for (
            title,
            country,
            city,
            venue,
            tz,
            month,
            weekday,
            earliest,
            days,
            years,
            by,
            role,
        ) in fairs:
            for year in range(self.window_start.year, self.anchor.year + 2):
                if not years(year):
                    continue
                first = date(year, month, earliest)
                first += timedelta(days=(weekday - first.weekday()) % 7)
                if not self.in_window(first):
                    continue
                organiser = next(o for o in self.by_kind["national-association"] if o.short == by)
                plans.append(
                    _EventPlan(
                        kind="trade-fair", title=f"{title} {year}", day=first, days=days,
                        timezone=tz, country=country, city=city, venue=venue,
                        organiser_name=organiser.name, organiser=organiser, our_role=role,
                    )
                )  # fmt: skip
        return plans

    def assembly_plans(self, rng: random.Random) -> list[_EventPlan]:
        plans = []
        for country, association in self.associations.items():
            month = rng.choice((4, 5, 6, 10, 11))
            for year in range(self.window_start.year, self.anchor.year + 2):
                day = _workday(date(year, month, rng.randint(3, 26)))
                if not self.in_window(day) or rng.random() < 0.4:
                    continue
                city = association.city or COUNTRIES[country].cities[0][0]
                plans.append(
                    _EventPlan(
                        kind="general-assembly",
                        title=f"{association.short} General Assembly {year}",
                        day=day, days=1, timezone=COUNTRIES[country].timezone, country=country,
                        city=city, venue=f"{association.short} headquarters",
                        organiser_name=association.name, organiser=association,
                        our_role=rng.choice(("speaker", "speaker", "attendee")),
                        hours=(10, 15),
                    )
                )  # fmt: skip
        return plans

    def generated_plans(self, rng: random.Random) -> list[_EventPlan]:
        countries = [code for code, country in COUNTRIES.items() if country.weight]
        weights = [COUNTRIES[code].weight for code in countries]
        per_scale = {
            "conference": 8, "workshop": 16, "training-course": 18, "webinar": 22,
            "policy-round-table": 6,
        }  # fmt: skip
        plans = []
        span = WINDOW_DAYS + AHEAD_DAYS - 30
        consortium = "DESIGN-MTS consortium"
        for kind, count in per_scale.items():
            for n in range(1, count * self.scale + 1):
                day = _workday(self.window_start + timedelta(days=25 + rng.randrange(span)))
                code = rng.choices(countries, weights=weights)[0]
                city, language = rng.choice(COUNTRIES[code].cities)
                tz = COUNTRIES[code].timezone
                year = day.year
                if kind == "conference":
                    organiser = self.associations.get(code) or self.orgs[0]
                    plans.append(_EventPlan(
                        kind=kind, title=f"{rng.choice(CONFERENCES)} {year}, {city}", day=day,
                        days=rng.choice((1, 1, 2)), timezone=tz, country=code, city=city,
                        venue=f"Congress Centre {city}", organiser_name=organiser.name,
                        organiser=organiser,
                        our_role=rng.choices(("speaker", "attendee", "organiser"), (5, 4, 1))[0],
                        hours=(9, 17),
                    ))  # fmt: skip
                elif kind in ("workshop", "training-course"):
                    hosts = (
                        self.by_kind_country.get(("affiliate", code))
                        or self.by_kind_country[("enterprise", code)]
                    )
                    host = rng.choice(hosts)
                    if kind == "workshop":
                        title = f"{rng.choice(WORKSHOP_TOPICS)} workshop, {host.city or city}"
                        start = rng.choice((9, 13))
                        hours, days = (start, start + 4), 1
                    else:
                        audience = rng.choice(tuple(AUDIENCE_LABELS))
                        title = (
                            f"DESIGN-MTS training: CSR for {AUDIENCE_LABELS[audience]}, "
                            f"{host.city or city}"
                        )
                        hours, days = (9, 17), rng.choice((1, 2))
                    plans.append(_EventPlan(
                        kind=kind, title=title, day=day, days=days, timezone=tz, country=code,
                        city=host.city or city, venue=host.name, organiser_name=consortium,
                        organiser=None, our_role="organiser" if rng.random() < 0.85 else "speaker",
                        hours=hours,
                    ))  # fmt: skip
                elif kind == "webinar":
                    topic = rng.choice(WEBINAR_TOPICS)
                    start = rng.choice((10, 14))
                    plans.append(_EventPlan(
                        kind=kind, title=f"Webinar: {topic}", day=day, days=1,
                        timezone="Europe/Brussels", country=None, city=None, venue=None,
                        online_url=f"https://meet.design-mts.example/webinar-{n}",
                        organiser_name=consortium, organiser=None,
                        our_role="organiser" if rng.random() < 0.85 else "speaker",
                        hours=(start, start + 1),
                    ))  # fmt: skip
                else:
                    eu = rng.random() < 0.5
                    bodies = [
                        o for o in self.by_kind["policy-body"]
                        if (o.detail == "eu") == eu and o.detail != "local"
                    ]  # fmt: skip
                    host = rng.choice(bodies)
                    topic = rng.choice(ROUND_TABLE_TOPICS)
                    plans.append(_EventPlan(
                        kind=kind, title=f"Policy round table: {topic}, {host.city}", day=day,
                        days=1, timezone=COUNTRIES[host.country].timezone, country=host.country,
                        city=host.city, venue=host.name, organiser_name=host.name, organiser=host,
                        our_role="organiser" if rng.random() < 0.4 else "speaker",
                        hours=(14, 17),
                    ))  # fmt: skip
        for plan in plans:
            if plan.days > 1 and plan.day.weekday() == 4:
                plan.day -= timedelta(days=1)  # two-day events run Thursday to Friday
        return plans

    def add_event(self, rng: random.Random, plan: _EventPlan) -> None:
        event_id = self.new_id(Event.__table__)
        last_day = plan.day + timedelta(days=plan.days - 1)
        all_day = plan.kind == "trade-fair"
        starts = _local(plan.day, plan.hours[0], 0, plan.timezone)
        ends = _local(last_day, plan.hours[1], 0, plan.timezone)
        if all_day:
            starts = _local(plan.day, 9, 0, plan.timezone)
            ends = _local(last_day, 18, 0, plan.timezone)
        past = ends < self.anchor_at
        status = self.event_status(rng, plan.day)
        published = rng.random() < {
            "confirmed": 0.9, "planned": 0.25, "postponed": 0.6, "cancelled": 0.4,
        }[status]  # fmt: skip
        created = min(
            starts - timedelta(days=rng.randint(20, 150)), self.anchor_at - timedelta(hours=1)
        )
        creator = self.user_ids["organiser"] if rng.random() < 0.7 else rng.choice(self.officers)
        self.writer.add(
            Event.__table__,
            {
                "id": event_id,
                "title": plan.title,
                "kind": plan.kind,
                "is_all_day": all_day,
                "starts_at": None if all_day else starts,
                "ends_at": None if all_day else ends,
                "timezone": plan.timezone,
                "start_date": plan.day if all_day else None,
                "end_date": last_day if all_day else None,
                "venue": plan.venue,
                "city": plan.city,
                "country_code": plan.country,
                "online_url": plan.online_url,
                "organiser_name": plan.organiser_name,
                "organiser_organisation_id": plan.organiser.id if plan.organiser else None,
                "our_role": plan.our_role,
                "status": status,
                "is_published": published,
                "description": EVENT_DESCRIPTIONS[plan.kind],
                "created_by_id": creator,
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "deleted_at": None,
            },
        )
        codes = [EVENT_CODES[plan.kind][0]] + [
            code for code, share in EVENT_CODES[plan.kind][1] if rng.random() < share
        ]
        for code in codes:
            self.writer.add(
                event_subitems, {"event_id": event_id, "commitment_item_id": self.subitems[code]}
            )
        attended = self.add_participants(rng, plan, event_id, status, past, created)
        if past and status == "confirmed" and attended:
            self.past_events.append(
                _PastEvent(
                    id=event_id, kind=plan.kind, title=plan.title, codes=codes, day=plan.day,
                    days=plan.days, timezone=plan.timezone,
                    hours=(9, 18) if all_day else plan.hours, country=plan.country,
                    attendees=attended,
                )
            )  # fmt: skip
        if status != "cancelled" and plan.our_role != "attendee" and rng.random() < 0.8:
            organiser = self.user_ids["organiser"]
            if past:
                title = (
                    f"Send the materials and a thank-you note to the participants of {plan.title}"
                )
                due_day = _workday(last_day + timedelta(days=rng.randint(3, 12)))
            else:
                title = f"Prepare {plan.title}: materials, speakers and logistics"
                due_day = _workday(plan.day - timedelta(days=rng.randint(3, 21)))
            due = _local(due_day, rng.randint(9, 16), 0, "Europe/Brussels")
            self.add_follow_up(
                rng, title=title, due=due, created=created, assignee=organiser, creator=organiser,
                person_id=None, organisation_id=None, outreach_id=None, event_id=event_id,
            )  # fmt: skip

    def event_status(self, rng: random.Random, day: date) -> str:
        ahead = (day - self.anchor).days
        if ahead < 0:
            weights = (("confirmed", 94), ("cancelled", 4), ("postponed", 2))
        elif ahead <= 60:
            weights = (("confirmed", 80), ("planned", 15), ("postponed", 3), ("cancelled", 2))
        else:
            weights = (("planned", 60), ("confirmed", 35), ("postponed", 3), ("cancelled", 2))
        values, cumulative = _weighted(weights)
        return rng.choices(values, cum_weights=cumulative)[0]

    def add_participants(
        self, rng: random.Random, plan: _EventPlan, event_id: int, status: str, past: bool,
        created: datetime,
    ) -> list[int]:  # fmt: skip
        """Write the participants; return who attended (the people outreach can be about)."""
        kind, country = plan.kind, plan.country or ""
        people: list[int] = []
        lead_role = "speaker"
        exhibitors: list[_Org] = []
        if kind == "trade-fair":
            boost = math.sqrt(self.scale)
            count = int(rng.randint(25, 60) * boost)
            local = self.people_of(("enterprise", country)) + self.people_of(
                ("value-chain-partner", country)
            )
            people = _sample(rng, local, int(count * 0.6))
            people += _sample(rng, self.people_by_role.get("manager", []), count - len(people))
            local_firms = self.by_kind_country.get(("enterprise", country), [])
            exhibitors = _sample(rng, local_firms, int(rng.randint(5, 15) * boost))
        elif kind == "conference":
            people = _sample(rng, self.people_by_role.get("association-staff", []), 6)
            people += _sample(rng, self.people_by_role.get("manager", []), rng.randint(12, 35))
        elif kind == "workshop":
            people = _sample(rng, self.people_of(("enterprise", country)), rng.randint(8, 25))
        elif kind == "training-course":
            audience = next(
                (role for role, label in AUDIENCE_LABELS.items() if label in plan.title), "manager"
            )
            pool = self.people_by_role_country.get((audience, country)) or self.people_by_role.get(
                audience, []
            )
            people = _sample(rng, pool, rng.randint(6, 18))
        elif kind == "webinar":
            everyone = range(self.first_person_id, self.first_person_id + len(self.people))
            people = _sample(rng, everyone, rng.randint(20, 80))
        elif kind == "policy-round-table":
            lead_role = "moderator"
            people = _sample(rng, self.people_by_role.get("policy-maker", []), rng.randint(6, 15))
            people += _sample(rng, self.people_by_role.get("association-staff", []), 4)
        else:  # general assembly
            lead_role = "organiser"
            association = plan.organiser
            people = _sample(rng, association.people if association else [], 3)
            owners = self.people_by_role_country.get(("employer-owner", country), [])
            people += _sample(rng, owners, rng.randint(10, 30))
        people = list(dict.fromkeys(people))
        attended = []
        leads = 1 if kind in ("workshop", "training-course", "policy-round-table") else 2
        for index, person_id in enumerate(people):
            attendance = self.attendance(rng, status, past)
            if attendance == "attended":
                attended.append(person_id)
            self.add_participant(
                event_id, person_id, None, lead_role if index < leads else "attendee",
                attendance, created,
            )  # fmt: skip
        for org in exhibitors:
            attendance = (
                "cancelled" if status == "cancelled" else "attended" if past else "registered"
            )
            self.add_participant(event_id, None, org.id, "exhibitor", attendance, created)
        return attended

    def people_of(self, key: tuple[str, str]) -> list[int]:
        return self.people_by_kind_country.get(key, [])

    @staticmethod
    def attendance(rng: random.Random, status: str, past: bool) -> str:
        if status == "cancelled":
            return "cancelled"
        if past and status == "confirmed":
            return rng.choices(
                ("attended", "no-show", "cancelled", "registered"), cum_weights=(78, 88, 95, 100)
            )[0]
        return rng.choices(("invited", "registered", "cancelled"), cum_weights=(35, 95, 100))[0]

    def add_participant(
        self, event_id: int, person_id: int | None, org_id: int | None, role: str,
        attendance: str, created: datetime,
    ) -> None:  # fmt: skip
        self.writer.add(
            EventParticipant.__table__,
            {
                "id": self.new_id(EventParticipant.__table__),
                "event_id": event_id,
                "person_id": person_id,
                "organisation_id": org_id,
                "role": role,
                "attendance": attendance,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            },
        )

    # Outreach ------------------------------------------------------------------------------
    def create_outreach(self) -> None:
        rng = self.rng("outreach")
        total = OUTREACH_PER_SCALE * self.scale
        pools: dict[str, list[_Org]] = {}
        for kind, orgs in self.by_kind.items():
            # The order decides who is contacted most often: those with contacts, in random order.
            keys = {org.id: (-min(len(org.people), 2), rng.random()) for org in orgs}
            pools[kind] = sorted(orgs, key=lambda org: keys[org.id])
        enterprises = pools["enterprise"]
        pools["sme"] = [org for org in enterprises if org.detail != "large"]
        pools["staffed"] = [org for org in enterprises if org.people] or enterprises
        pools["staffed-sme"] = [org for org in pools["staffed"] if org.detail != "large"]
        pools["media"] = [org for org in pools["other"] if org.detail == "media"]
        self.pools = pools
        self.first_org_id = self.orgs[0].id
        events = self.past_events
        self.event_weights = list(
            _weighted([(event, EVENT_WEIGHTS[event.kind]) for event in events])[1]
        )
        makers: dict[str, Callable[[random.Random], _Touch]] = {
            "enterprise": self.touch_enterprise,
            "helpdesk": self.touch_helpdesk,
            "association": self.touch_association,
            "affiliate": self.touch_affiliate,
            "value-chain": self.touch_value_chain,
            "policy": self.touch_policy,
            "other": self.touch_other,
            "mailing": self.touch_mailing,
            "training": self.touch_training,
            "event": self.touch_event if events else self.touch_enterprise,
            "social": self.touch_social,
        }
        self.progress.start("outreach", total)
        batch = 2_000
        for start in range(0, total, batch):
            count = min(batch, total - start)
            for scenario in rng.choices(SCENARIOS[0], cum_weights=SCENARIOS[1], k=count):
                self.add_outreach(rng, makers[scenario](rng))
            self.progress.advance(count)
            self.writer.flush_if_full()
        self.writer.flush()
        self.progress.finish()

    @staticmethod
    def pick(rng: random.Random, pool: list[_Org]) -> _Org:
        """Skewed towards the front of the pool: a few stakeholders are contacted often."""
        return pool[int(len(pool) * rng.random() ** 1.7)]

    def org(self, org_id: int) -> _Org:
        return self.orgs[org_id - self.first_org_id]

    def moment(self, rng: random.Random, country: str | None) -> datetime:
        """A working-hours moment in the last two years, busier lately as the programme grew."""
        days = 1 + int((WINDOW_DAYS - 25) * rng.random() ** 1.25)
        day = _workday(self.anchor - timedelta(days=days))
        timezone = COUNTRIES[country].timezone if country else "Europe/Brussels"
        return _local(day, rng.randint(8, 17), rng.randrange(0, 60, 5), timezone)

    def guidelines(self, language: str) -> int:
        return self.materials.get(f"guidelines:{language}", self.materials["guidelines:en"])

    def module_for(self, person_id: int | None) -> int:
        role = self.person_role(person_id) if person_id is not None else "manager"
        return self.materials.get(f"module:{role}", self.materials["module:manager"])

    @staticmethod
    def contacts(rng: random.Random, org: _Org, count: int) -> list[int]:
        return _sample(rng, org.people, count)

    def touch_enterprise(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["enterprise"])
        people = self.contacts(rng, org, 1 if rng.random() < 0.85 else 2)
        codes = ["1.3b"]
        draw = rng.random()
        if org.detail != "large" and draw < 0.45:
            codes.append("2.2")
        elif draw < 0.65:
            codes.append("2.1")
        elif draw < 0.72:
            codes.append("1.2")
        materials = []
        if "2.1" in codes or rng.random() < 0.1:
            materials.append(self.guidelines(org.language))
        if "1.2" in codes:
            materials.append(self.module_for(people[0] if people else None))
        return _Touch(
            channel=rng.choices(("email", "call", "meeting"), cum_weights=(40, 73, 100))[0],
            direction="inbound" if rng.random() < 0.15 else "outbound",
            subject=rng.choice(SUBJECTS["enterprise"]).format(org=org.name),
            codes=codes, people=people, orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_helpdesk(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["staffed-sme"] or self.pools["staffed"])
        people = self.contacts(rng, org, 1)
        codes = ["2.1"] + (["2.2"] if org.detail != "large" else [])
        draw = rng.random()
        if draw < 0.5:
            materials = [self.guidelines(org.language)]
        elif draw < 0.8:
            materials = [self.materials["faq"]]
        else:
            materials = [self.materials["checklist"]]
        subject = rng.choice(SUBJECTS["helpdesk"]).format(language=LANGUAGE_NAMES[org.language])
        return _Touch(
            channel="help-desk", direction="inbound", subject=subject, codes=codes,
            people=people, orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country, profile="helpdesk",
        )  # fmt: skip

    def touch_association(self, rng: random.Random) -> _Touch:
        org = rng.choice(self.pools["national-association"])
        codes = ["1.3a"]
        if rng.random() < 0.4:
            codes.append(rng.choice(("1.1", "3.1", "3.3")))
        materials = []
        if rng.random() < 0.2:
            key = rng.choice(("position-paper", "platform-handbook", "indicators"))
            materials.append(self.materials[key])
        return _Touch(
            channel=rng.choices(("meeting", "call", "email"), cum_weights=(35, 65, 100))[0],
            direction="inbound" if rng.random() < 0.25 else "outbound",
            subject=rng.choice(SUBJECTS["association"]).format(org=org.short),
            codes=codes, people=self.contacts(rng, org, rng.randint(1, 2)), orgs=[org.id],
            materials=materials, occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_affiliate(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["affiliate"])
        codes = ["1.3a"] + (["1.1"] if rng.random() < 0.25 else [])
        materials = [self.guidelines(org.language)] if rng.random() < 0.3 else []
        return _Touch(
            channel=rng.choices(("meeting", "call", "email"), cum_weights=(30, 60, 100))[0],
            direction="outbound", subject=rng.choice(SUBJECTS["affiliate"]).format(org=org.name),
            codes=codes, people=self.contacts(rng, org, 1), orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_value_chain(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["value-chain-partner"])
        codes = ["2.3"] + (["1.3b"] if rng.random() < 0.3 else [])
        materials = [self.materials["toolkit"]] if rng.random() < 0.4 else []
        return _Touch(
            channel=rng.choices(("meeting", "call", "email"), cum_weights=(30, 60, 100))[0],
            direction="outbound",
            subject=rng.choice(SUBJECTS["value-chain"]).format(org=org.name),
            codes=codes, people=self.contacts(rng, org, 1), orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_policy(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["policy-body"])
        codes = ["3.2"] + (["3.1"] if rng.random() < 0.35 else [])
        draw = rng.random()
        materials = []
        if draw < 0.6:
            materials.append(self.materials["policy-recommendations"])
        elif draw < 0.85:
            materials.append(self.materials["position-paper"])
        return _Touch(
            channel=rng.choices(("meeting", "email", "call"), cum_weights=(40, 80, 100))[0],
            direction="outbound", subject=rng.choice(SUBJECTS["policy"]).format(org=org.short),
            codes=codes, people=self.contacts(rng, org, 1), orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
            logger=self.user_ids["coordinator"] if rng.random() < 0.4 else None,
        )  # fmt: skip

    def touch_other(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["other"])
        category = org.detail
        channel = rng.choices(("meeting", "email", "call"), cum_weights=(35, 75, 100))[0]
        materials = []
        if category == "trade-union":
            codes = [rng.choice(("1.2", "1.1"))]
            if rng.random() < 0.5:
                materials.append(self.materials["module:worker-representative"])
        elif category == "research-education":
            codes = ["3.3"] + (["1.1"] if rng.random() < 0.4 else [])
            if rng.random() < 0.3:
                materials.append(self.materials["indicators"])
        elif category == "ngo":
            codes = ["3.1"] + (["2.3"] if rng.random() < 0.4 else [])
        else:
            codes = ["2.3"] + (["1.1"] if rng.random() < 0.4 else [])
            channel = "publication" if rng.random() < 0.5 else channel
        return _Touch(
            channel=channel, direction="outbound",
            subject=rng.choice(SUBJECTS[category]).format(org=org.short), codes=codes,
            people=self.contacts(rng, org, 1), orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_mailing(self, rng: random.Random) -> _Touch:
        occurred = self.moment(rng, None)
        everyone = range(self.first_person_id, self.first_person_id + len(self.people))
        people = _sample(rng, everyone, rng.randint(5, 25))
        orgs = []
        if rng.random() < 0.3:
            orgs.append(rng.choice(self.pools["national-association"]).id)  # a joint mailing
        codes = ["1.1"] + (["2.1"] if rng.random() < 0.4 else [])
        language = rng.choice(("de", "it", "es", "fr", "cs"))
        materials = []
        draw = rng.random()
        if draw < 0.4:
            materials.append(self.guidelines(language))
        elif draw < 0.6:
            materials.append(self.materials["position-paper"])
        subject = rng.choice(SUBJECTS["mailing"]).format(
            month=occurred.strftime("%B %Y"), language=LANGUAGE_NAMES[language]
        )
        return _Touch(
            channel="mailing", direction="outbound", subject=subject, codes=codes, people=people,
            orgs=orgs, materials=materials, occurred=occurred, country=None, profile="mailing",
            logger=rng.choice((self.user_ids["coordinator"], self.user_ids["organiser"])),
        )  # fmt: skip

    def touch_training(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["staffed"])
        people = self.contacts(rng, org, 8)
        codes = ["1.2"] + (["2.2"] if org.detail != "large" and rng.random() < 0.5 else [])
        lead = people[0] if people else None
        role = self.person_role(lead) if lead is not None else "manager"
        module = AUDIENCE_LABELS.get(role, "managers")
        return _Touch(
            channel="training", direction="outbound",
            subject=rng.choice(SUBJECTS["training"]).format(org=org.name, module=module),
            codes=codes, people=people, orgs=[org.id], materials=[self.module_for(lead)],
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_event(self, rng: random.Random) -> _Touch:
        event = rng.choices(self.past_events, cum_weights=self.event_weights)[0]
        many = event.kind in ("training-course", "webinar")
        people = _sample(rng, event.attendees, rng.randint(3, 10) if many else rng.randint(1, 2))
        orgs = list(dict.fromkeys(self.person_org(person).id for person in people))
        codes = _sample(rng, event.codes, rng.randint(1, 2))
        day = event.day + timedelta(days=rng.randrange(event.days))
        first, last = event.hours
        occurred = _local(
            day, rng.randrange(first, max(first + 1, last)), rng.randrange(0, 60, 5), event.timezone
        )
        materials = []
        if event.kind == "training-course":
            materials.append(self.module_for(people[0]))
        elif event.kind in ("webinar", "workshop") and rng.random() < 0.5:
            materials.append(self.guidelines(self.person_org(people[0]).language))
        elif rng.random() < 0.2:
            materials.append(self.materials["toolkit"])
        country = event.country or self.person_org(people[0]).country
        return _Touch(
            channel=EVENT_CHANNELS[event.kind], direction="outbound",
            subject=EVENT_SUBJECTS[event.kind].format(event=event.title), codes=codes,
            people=people, orgs=orgs, materials=materials, occurred=occurred, country=country,
            event_id=event.id, profile="event",
            logger=self.user_ids["organiser"] if rng.random() < 0.45 else None,
        )  # fmt: skip

    def touch_social(self, rng: random.Random) -> _Touch:
        if rng.random() < 0.4 and self.pools["media"]:
            channel, org = "publication", rng.choice(self.pools["media"])
        else:
            channel, org = "social-media", rng.choice(self.pools["national-association"])
        codes = [rng.choice(("2.3", "1.1"))]
        if rng.random() < 0.3:
            codes.append("1.1" if codes[0] == "2.3" else "2.3")
        materials = []
        if rng.random() < 0.3:
            materials.append(rng.choice((self.materials["toolkit"], self.guidelines("en"))))
        return _Touch(
            channel=channel, direction="outbound",
            subject=rng.choice(SUBJECTS["social"]).format(org=org.short), codes=codes,
            people=[], orgs=[org.id], materials=materials, occurred=self.moment(rng, org.country),
            country=org.country, profile="social",
        )  # fmt: skip

    def add_outreach(self, rng: random.Random, touch: _Touch) -> None:
        outreach_id = self.new_id(OutreachRecord.__table__)
        if touch.logger is not None:
            logger = touch.logger
        elif touch.country and rng.random() < 0.8:
            logger = self.officer_for(touch.country)
        else:
            logger = rng.choice(self.officers)
        created = min(
            touch.occurred + timedelta(minutes=rng.randint(5, 2 * 24 * 60)), self.anchor_at
        )
        values, cumulative = OUTCOMES[touch.profile]
        self.writer.add(
            OutreachRecord.__table__,
            {
                "id": outreach_id,
                "occurred_at": touch.occurred,
                "channel": touch.channel,
                "direction": touch.direction,
                "subject": touch.subject[:300],
                "outcome": rng.choices(values, cum_weights=cumulative)[0],
                "notes": rng.choice(OUTREACH_NOTES) if rng.random() < 0.2 else "",
                "event_id": touch.event_id,
                "logged_by_id": logger,
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "deleted_at": None,
            },
        )
        add = self.writer.add
        for code in dict.fromkeys(touch.codes):
            add(
                outreach_subitems,
                {"outreach_id": outreach_id, "commitment_item_id": self.subitems[code]},
            )
        for person_id in touch.people:
            add(outreach_people, {"outreach_id": outreach_id, "person_id": person_id})
        for org_id in touch.orgs:
            add(outreach_organisations, {"outreach_id": outreach_id, "organisation_id": org_id})
        for material_id in dict.fromkeys(touch.materials):
            add(outreach_materials, {"outreach_id": outreach_id, "material_id": material_id})
        share = 0.03 if touch.profile in ("mailing", "social") else 0.1
        if rng.random() < share:
            person_id = touch.people[0] if touch.people else None
            org_id = touch.orgs[0] if touch.orgs else None
            org = self.org(org_id) if org_id is not None else None
            org_name = org.name if org is not None else ""
            who = self.person_name(person_id) if person_id is not None else org_name
            titles = FOLLOW_UP_TITLES
            if org is not None and org.kind == "enterprise" and rng.random() < 0.7:
                titles = ENTERPRISE_FOLLOW_UP_TITLES
            title = rng.choice(titles).format(who=who, org=org_name or who)
            due_day = _workday(touch.occurred.date() + timedelta(days=rng.randint(2, 30)))
            due = _local(due_day, rng.randint(9, 16), 0, "Europe/Brussels")
            assignee = logger if rng.random() < 0.85 else rng.choice(self.officers)
            self.add_follow_up(
                rng, title=title, due=due, created=created, assignee=assignee, creator=logger,
                person_id=person_id, organisation_id=org_id, outreach_id=outreach_id,
                event_id=touch.event_id,
            )  # fmt: skip

    # Follow-ups ----------------------------------------------------------------------------
    def add_follow_up(
        self, rng: random.Random, *, title: str, due: datetime, created: datetime,
        assignee: int, creator: int, person_id: int | None, organisation_id: int | None,
        outreach_id: int | None, event_id: int | None,
    ) -> None:  # fmt: skip
        """A follow-up whose state fits its due date: old ones mostly done, some left overdue."""
        if due < self.anchor_at - timedelta(days=14):
            weights = (("done", 78), ("cancelled", 8), ("open", 14))
        elif due < self.anchor_at:
            weights = (("open", 55), ("done", 40), ("cancelled", 5))
        else:
            weights = (("open", 92), ("done", 6), ("cancelled", 2))
        values, cumulative = _weighted(weights)
        status = rng.choices(values, cum_weights=cumulative)[0]
        completed = None
        updated = created
        if status == "done":
            latest = min(due + timedelta(days=5), self.anchor_at)
            earliest = min(created + timedelta(hours=1), latest)
            completed = earliest + (latest - earliest) * rng.random()
            updated = completed
        follow_up_id = self.new_id(FollowUp.__table__)
        self.writer.add(
            FollowUp.__table__,
            {
                "id": follow_up_id,
                "title": title[:300],
                "notes": "",
                "due_at": due,
                "status": status,
                "completed_at": completed,
                "assignee_id": assignee,
                "created_by_id": creator,
                "person_id": person_id,
                "organisation_id": organisation_id,
                "outreach_id": outreach_id,
                "event_id": event_id,
                "created_at": created,
                "updated_at": updated,
                "version": 1,
            },
        )
        remind_at = due - timedelta(days=1)
        if status == "open" and due > self.anchor_at + timedelta(days=1):
            self.add_reminder(follow_up_id, remind_at, "pending", None)
        elif due <= self.anchor_at and remind_at > created and rng.random() < 0.7:
            self.add_reminder(follow_up_id, remind_at, "sent", remind_at + timedelta(seconds=40))

    def add_reminder(
        self, follow_up_id: int, remind_at: datetime, status: str, sent_at: datetime | None
    ) -> None:
        self.writer.add(
            Reminder.__table__,
            {
                "id": self.new_id(Reminder.__table__),
                "follow_up_id": follow_up_id,
                "remind_at": remind_at,
                "status": status,
                "attempts": 1 if sent_at else 0,
                "claimed_at": remind_at if sent_at else None,
                "sent_at": sent_at,
                "last_error": None,
            },
        )

    def create_planned_follow_ups(self) -> None:
        """Follow-ups planned ahead: regular check-ins with associations and key enterprises."""
        rng = self.rng("planned-follow-ups")
        associations = self.by_kind["national-association"]
        enterprises = self.pools["enterprise"][: 15 * self.scale]
        for org in [*associations, *enterprises]:
            due_day = _workday(self.anchor + timedelta(days=rng.randint(3, 120)))
            due = _local(due_day, rng.randint(9, 16), 0, "Europe/Brussels")
            person_id = rng.choice(org.people) if org.people else None
            if org.kind == "national-association":
                title = f"Quarterly check-in with {org.short}"
            else:
                title = f"Ask {org.name} how the CSR action plan is going"
            self.add_follow_up(
                rng, title=title, due=due, created=self.days_ago(rng, 1, 60),
                assignee=org.officer, creator=org.officer, person_id=person_id,
                organisation_id=org.id, outreach_id=None, event_id=None,
            )  # fmt: skip

    # Targets -------------------------------------------------------------------------------
    def create_targets(self) -> None:
        created = self.anchor_at - timedelta(days=WINDOW_DAYS + 10)
        affiliates = len(self.by_kind.get("affiliate", []))
        specs = (
            ("1.1", "outreach-logged", None, None, 1500 * self.scale,
             "Dissemination actions logged"),
            ("1.2", "people-reached", None, None, 300 * self.scale,
             "People trained with the DESIGN-MTS modules"),
            ("1.3a", "organisations-engaged", "national-association", None, 12,
             "National associations engaged"),
            ("1.3a", "organisations-engaged", "affiliate", None, max(1, int(affiliates * 0.6)),
             "Affiliates engaged"),
            ("1.3b", "organisations-engaged", "enterprise", None, 200 * self.scale,
             "Enterprises engaged"),
            ("1.3c", "events-attended", None, None, 10 * self.scale,
             "Strategic sectoral events attended"),
            ("2.1", "organisations-engaged", "enterprise", None, 120 * self.scale,
             "Enterprises assisted with the guidelines"),
            ("2.2", "organisations-engaged", "enterprise", "micro,small,medium", 150 * self.scale,
             "SMEs reached"),
            ("2.3", "organisations-engaged", "value-chain-partner", None, 40 * self.scale,
             "Value-chain partners engaged"),
            ("3.1", "outreach-logged", None, None, 150 * self.scale,
             "Platform coordination actions logged"),
            ("3.2", "organisations-engaged", "policy-body", None, 20,
             "Policy bodies engaged"),
            ("3.3", "outreach-logged", None, None, 80 * self.scale,
             "Monitoring actions logged"),
        )  # fmt: skip
        for year, factor in ((self.anchor.year - 1, 0.8), (self.anchor.year, 1.0),
                             (self.anchor.year + 1, 1.2)):  # fmt: skip
            for code, metric, kind, sizes, value, description in specs:
                self.writer.add(
                    Target.__table__,
                    {
                        "id": self.new_id(Target.__table__),
                        "commitment_item_id": self.subitems[code],
                        "period_start": date(year, 1, 1),
                        "period_end": date(year, 12, 31),
                        "metric": metric,
                        "organisation_kind": kind,
                        "size_classes": sizes,
                        "target_value": max(1, round(value * factor)),
                        "description": f"{description} in {year}",
                        "created_at": created,
                        "updated_at": created,
                        "version": 1,
                    },
                )

    # The whole run -------------------------------------------------------------------------
    def run(self, password: str) -> DemoReport:
        self.load_reference()
        report = DemoReport(scale=self.scale, seed=self.seed, anchor=self.anchor)
        report.users = self.create_users(password)
        self.create_tags_and_materials()
        self.create_organisations()
        self.create_people()
        self.create_events()
        self.create_outreach()
        self.create_planned_follow_ups()
        self.create_targets()
        self.writer.flush()
        if db.session.get_bind().dialect.name == "postgresql":
            for table in _ID_TABLES:
                db.session.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
        counts = {"users": len(report.users), **self.writer.counts}
        counts["audit_log"] = self.audit_rows + 1
        rank = {table.name: n for n, table in enumerate(Base.metadata.sorted_tables)}
        report.rows = dict(sorted(counts.items(), key=lambda item: rank[item[0]]))
        audit.record(
            "demo",
            "database",
            None,
            None,
            {
                "scale": self.scale,
                "seed": self.seed,
                "anchor": self.anchor.isoformat(),
                "rows": report.rows,
            },
            summary=report.describe(),
        )
        db.session.flush()
        return report


def _sample(rng: random.Random, pool: Sequence[Any], count: int) -> list[Any]:
    return rng.sample(pool, min(count, len(pool))) if count > 0 else []


def _refuse_unless_ready() -> None:
    """Demo data goes into an empty, seeded database only: never mixed with real records."""
    for model, one, many in (
        (Organisation, "organisation", "organisations"),
        (Person, "person", "people"),
    ):
        count = db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        if count:
            raise DemoRefused(
                f"the database already holds {count:,} {one if count == 1 else many}; "
                "crm demo fills an empty database only"
            )
    codes = set(
        db.session.scalars(
            sa.select(CommitmentItem.code)
            .join(Framework, Framework.id == CommitmentItem.framework_id)
            .where(Framework.key == FRAMEWORK_KEY)
        )
    )
    if not set(LEAF_CODES) <= codes:
        raise DemoRefused("the DESIGN-MTS commitment framework is not loaded: run crm seed first")
    countries = set(db.session.scalars(sa.select(Country.code)))
    languages = set(db.session.scalars(sa.select(Language.code)))
    if not set(COUNTRIES) <= countries or not set(LOCALES) <= languages:
        raise DemoRefused("the countries and languages are not loaded: run crm seed first")
    emails = [email for email, *_ in DEMO_USERS]
    taken = db.session.scalars(sa.select(User.email).where(User.email.in_(emails))).first()
    if taken:
        raise DemoRefused(
            f"the demo account {taken} already exists; crm demo fills an empty database only"
        )


def generate_demo(
    scale: int, seed: int, password: str, progress: Progress, *, today: date | None = None
) -> DemoReport:
    """Fill an empty, seeded database with demo data; the caller commits.

    ``today`` anchors the calendar (default: today in UTC); the same seed, scale and day
    always give the same rows.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    _refuse_unless_ready()
    anchor = today or datetime.now(UTC).date()
    return _Generator(scale, seed, anchor, progress).run(password)
