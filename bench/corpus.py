"""Synthetic Swedish municipal text: posts, pages and comments, deterministic from a seed.

Word frequencies follow a Zipf law over a fixed vocabulary, so the benchmark queries can pick
common, middling and rare words; the ranks the queries use are named in QUERY_WORDS.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

# Bump when the generated data changes, so cached search databases are rebuilt.
CORPUS_VERSION = 3

VOCABULARY = [
    "kommunen",
    "och",
    "att",
    "det",
    "som",
    "för",
    "på",
    "är",
    "med",
    "av",
    "till",
    "om",
    "en",
    "ett",
    "inte",
    "har",
    "vi",
    "kan",
    "ska",
    "de",
    "från",
    "vid",
    "under",
    "efter",
    "även",
    "alla",
    "mer",
    "nya",
    "inom",
    "där",
    "eller",
    "under",
    "år",
    "dag",
    "vecka",
    "samt",
    "invånare",
    "förvaltningen",
    "nämnden",
    "beslut",
    "ärendet",
    "information",
    "kommunstyrelsen",
    "kommunfullmäktige",
    "sammanträde",
    "protokoll",
    "handling",
    "diarienummer",
    "registrator",
    "bygglov",
    "detaljplan",
    "samråd",
    "granskning",
    "utställning",
    "översiktsplan",
    "planområde",
    "fastighet",
    "skola",
    "förskola",
    "elever",
    "lärare",
    "rektor",
    "skolskjuts",
    "fritidshem",
    "läsår",
    "lov",
    "terminen",
    "äldreomsorg",
    "hemtjänst",
    "vårdboende",
    "omsorg",
    "biståndshandläggare",
    "anhöriga",
    "trygghetslarm",
    "vatten",
    "avlopp",
    "ledningsnät",
    "vattenläcka",
    "kokningsrekommendation",
    "reningsverk",
    "dagvatten",
    "snöröjning",
    "halkbekämpning",
    "plogning",
    "sandning",
    "gator",
    "cykelvägar",
    "gångbanor",
    "trafik",
    "parkering",
    "busshållplats",
    "kollektivtrafik",
    "vägarbete",
    "avstängning",
    "omledning",
    "bibliotek",
    "kultur",
    "evenemang",
    "konsert",
    "utställning",
    "teater",
    "föreningar",
    "idrott",
    "simhall",
    "badplats",
    "fritidsgård",
    "ungdomar",
    "sommarjobb",
    "feriearbete",
    "praktik",
    "arbetsmarknad",
    "miljö",
    "avfall",
    "återvinning",
    "sophämtning",
    "kompost",
    "renhållning",
    "tömning",
    "matavfall",
    "budget",
    "skattesats",
    "ekonomi",
    "investering",
    "upphandling",
    "avtal",
    "leverantör",
    "ersättning",
    "näringsliv",
    "företag",
    "etablering",
    "tillväxt",
    "bostäder",
    "hyresrätter",
    "byggnation",
    "exploatering",
    "räddningstjänst",
    "brand",
    "krisberedskap",
    "säkerhet",
    "larm",
    "olycka",
    "evakuering",
    "vädervarning",
    "medborgardialog",
    "synpunkter",
    "klagomål",
    "kontaktcenter",
    "öppettider",
    "telefontid",
    "e-tjänst",
    "ansökan",
    "blankett",
    "avgift",
    "taxa",
    "faktura",
    "betalning",
    "bidrag",
    "stöd",
    "föreningsbidrag",
    "kommunalråd",
    "oppositionsråd",
    "ordförande",
    "ledamot",
    "ersättare",
    "valberedning",
    "motion",
    "interpellation",
    "medborgarförslag",
    "remiss",
    "yttrande",
    "tjänsteskrivelse",
    "delegationsbeslut",
    "personal",
    "medarbetare",
    "rekrytering",
    "tjänst",
    "anställning",
    "lön",
    "semester",
    "arbetsmiljö",
    "digitalisering",
    "bredband",
    "fiber",
    "webbplats",
    "tillgänglighet",
    "dataskydd",
    "personuppgifter",
    "folkhälsa",
    "tobak",
    "alkohol",
    "tillstånd",
    "serveringstillstånd",
    "livsmedel",
    "kontroll",
    "inspektion",
    "lantmäteri",
    "strandskydd",
    "dispens",
    "naturreservat",
    "friluftsliv",
    "vandringsled",
    "skog",
    "jakt",
    "landsbygd",
    "tätort",
    "centrum",
    "stationsområdet",
    "hamnen",
    "torget",
    "stadsparken",
    "kvarteret",
    "Staffanstorp",
    "Hjärup",
    "Kyrkheddinge",
    "Brågarp",
    "Grevie",
    "Esarp",
    "Särslöv",
    "Nevishög",
    "Uppåkra",
    "Lund",
    "Malmö",
    "Skåne",
    "Region",
    "Länsstyrelsen",
    "Trafikverket",
    "Skolverket",
    "Socialstyrelsen",
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
    "måndag",
    "tisdag",
    "onsdag",
    "torsdag",
    "fredag",
    "lördag",
    "söndag",
    "morgon",
    "kväll",
    "klockan",
    "viktigt",
    "påminnelse",
    "uppdatering",
    "ändrad",
    "inställd",
    "uppskjuten",
    "planerad",
    "genomförd",
    "pågående",
    "tack",
    "fråga",
    "svar",
    "undrar",
    "varför",
    "när",
    "hur",
    "kommer",
    "borde",
    "måste",
    "gärna",
    "snarast",
    "grannar",
    "barnen",
    "familjen",
    "hunden",
    "bilen",
    "cykeln",
    "trädgården",
    "huset",
    "lägenheten",
    "gatan",
    "problem",
    "trasig",
    "gatubelysning",
    "hål",
    "asfalt",
    "buller",
    "damm",
    "lukt",
    "nedskräpning",
    "klotter",
    "förslag",
    "idé",
    "önskemål",
    "förbättring",
    "lekplats",
    "bänk",
    "papperskorg",
    "träd",
    "blommor",
    "gräsklippning",
    "vindkraft",
    "solceller",
    "energi",
    "klimat",
    "laddstolpar",
    "elbil",
    "utsläpp",
    "koldioxid",
    "hållbarhet",
]

FIRST_NAMES = [
    "Anna",
    "Maria",
    "Eva",
    "Karin",
    "Sara",
    "Lena",
    "Emma",
    "Kerstin",
    "Ingrid",
    "Elin",
    "Johanna",
    "Linnea",
    "Erik",
    "Lars",
    "Karl",
    "Anders",
    "Johan",
    "Per",
    "Nils",
    "Mikael",
    "Jan",
    "Hans",
    "Peter",
    "Olof",
    "Gustav",
    "Oskar",
    "Axel",
    "Leo",
]
LAST_NAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Lindström",
    "Olofsson",
    "Lindqvist",
    "Lindgren",
    "Berg",
    "Axelsson",
    "Bergström",
    "Lundberg",
    "Lind",
    "Lundgren",
    "Mattsson",
]

# Query words by how common they are in the corpus (Zipf rank in VOCABULARY).
QUERY_WORDS = {
    "common": "kommunen",  # rank 1: in almost every record
    "middling": "bygglov",
    "middling2": "detaljplan",
    "rare": "kokningsrekommendation",
    "rarest": "koldioxid",
}

SITE_COUNT = 6
START = datetime(2012, 1, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)


def site_ids() -> list[str]:
    return [f"01benchsite{n:015d}" for n in range(1, SITE_COUNT + 1)]


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return list(accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


@dataclass
class Corpus:
    seed: int = 2026

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.rng = rng
        # A fixed order: the first words are the most frequent (Zipf), the named query words
        # keep their place in VOCABULARY so their frequency is stable across runs.
        words = list(dict.fromkeys(VOCABULARY))
        self.words = words
        cum = _zipf_weights(len(words), 0.9)
        self.sentences = []
        for _ in range(20_000):
            chosen = rng.choices(words, cum_weights=cum, k=rng.randint(6, 16))
            sentence = " ".join(chosen)
            self.sentences.append(sentence[0].upper() + sentence[1:] + ".")
        title_words = words[60:]  # titles use the content words, not the function words
        title_cum = _zipf_weights(len(title_words), 0.7)
        self.titles = []
        for _ in range(5_000):
            chosen = rng.choices(title_words, cum_weights=title_cum, k=rng.randint(2, 7))
            title = " ".join(chosen)
            self.titles.append(title[0].upper() + title[1:])
        self.staff = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(120)]
        self.public = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(20_000)]
        self.sites = site_ids()

    def body(self, rng: random.Random, sentences: tuple[int, int] = (3, 12)) -> str:
        return " ".join(rng.choices(self.sentences, k=rng.randint(*sentences)))

    def html(self, rng: random.Random, paragraphs: int = 4) -> str:
        return "".join(f"<p>{self.body(rng, (2, 5))}</p>" for _ in range(paragraphs))

    def moment(self, rng: random.Random) -> datetime:
        span = (END - START).total_seconds()
        return START + timedelta(seconds=int(rng.random() * span))

    def index_rows(self, count: int, batch: int = 10_000) -> Any:
        """Rows for the `records` table, in batches: what `apply_version` would have built
        (plain-text body, author name), without going through storage."""
        rng = random.Random(self.seed + 1)
        captured_epoch = datetime(2026, 11, 1, tzinfo=UTC)
        rows: list[dict[str, Any]] = []
        posts_per_site: dict[str, int] = {}
        for n in range(1, count + 1):
            site = self.sites[n % SITE_COUNT if rng.random() < 0.7 else 0]
            roll = rng.random()
            kind = "post" if roll < 0.45 else "page" if roll < 0.55 else "comment"
            published = self.moment(rng)
            captured = max(published, captured_epoch) + timedelta(seconds=rng.randint(1, 86_400))
            if kind == "comment":
                post_count = posts_per_site.get(site, 0)
                parent_source = rng.randint(1, max(1, post_count))
                parent = f"{site}.post.{parent_source}"
                title = "Re: " + self.titles[parent_source % len(self.titles)]
                author = rng.choice(self.public)
                origin = "received"
                status = rng.choices(["approve", "hold", "spam", "trash"], [85, 8, 5, 2])[0]
                body = self.body(rng, (1, 4))
            else:
                posts_per_site[site] = posts_per_site.get(site, 0) + 1
                parent = None
                title = rng.choice(self.titles)
                author = rng.choice(self.staff)
                origin = "drawn_up"
                status = rng.choices(["publish", "private", "trash"], [94, 3, 3])[0]
                body = self.body(rng)
                if rng.random() < 0.4:  # a reference number, as a registrar would write it
                    body += f" Dnr KS {published.year}/{rng.randint(1, 999)}."
            record_id = f"{site}.{kind}.{n}"
            version = rng.choices([1, 2, 3, 4], [70, 20, 7, 3])[0]
            rows.append(
                {
                    "id": record_id,
                    "site_id": site,
                    "kind": kind,
                    "source_id": n,
                    "origin": origin,
                    "status": status,
                    "deleted": False,
                    "title": title,
                    "body": body,
                    "author": author,
                    "parent_id": parent,
                    "permalink": f"https://www.example.se/{published:%Y/%m}/{kind}-{n}/",
                    "published_at": published,
                    "occurred_at": captured,
                    "first_captured_at": captured,
                    "last_captured_at": captured,
                    "latest_version": version,
                    "latest_sha256": f"{n:064x}",
                    "content_sha256": f"{n + 1:064x}",
                    "personal_sha256": None,
                }
            )
            if len(rows) >= batch:
                yield rows
                rows = []
        if rows:
            yield rows

    def post_payload(self, rng: random.Random, post_id: int, edit: int) -> dict[str, Any]:
        """A WordPress post as the plugin sends it (see docs/webhooks.md), ~2-4 KB."""
        published = self.moment(rng)
        title = self.titles[post_id % len(self.titles)]
        content = self.html(rng)
        if edit:
            content += f"<p>Uppdatering {edit}: {self.body(rng, (1, 2))}</p>"
        return {
            "id": post_id,
            "guid": f"https://www.example.se/?p={post_id}",
            "title": title,
            "content": content,
            "content_raw": "<!-- wp:paragraph -->" + content + "<!-- /wp:paragraph -->",
            "excerpt": self.body(rng, (1, 1)),
            "permalink": f"https://www.example.se/{published:%Y/%m}/post-{post_id}/",
            "status": "publish",
            "author": {"id": 3, "name": self.staff[post_id % len(self.staff)]},
            "published_at": published.isoformat().replace("+00:00", "Z"),
            "modified_at": published.isoformat().replace("+00:00", "Z"),
            "terms": {"category": ["Nyheter"], "post_tag": [self.words[60 + post_id % 200]]},
            "featured_image": None,
        }
