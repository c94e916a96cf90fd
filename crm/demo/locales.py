"""Vocabulary of the demo: people's names, company-name words and places per language and country.

Compact, hand-written lists: enough variety for 100,000 people, no dependency.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass


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


LANGUAGE_NAMES = {
    "de": "German", "it": "Italian", "es": "Spanish", "fr": "French", "en": "English",
    "cs": "Czech", "nl": "Dutch", "pt": "Portuguese", "sv": "Swedish", "fi": "Finnish",
    "tr": "Turkish", "pl": "Polish", "da": "Danish",
}  # fmt: skip
