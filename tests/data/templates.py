#!/usr/bin/env python3
"""templates.py - writes templates.jsonl and templates_labels.tsv.

A test corpus for --template-share, written for this project: templated but
different reports (market closes, earnings, weather: one skeleton of fixed
sentences each, different names and numbers) and a few syndicated stories
with edited copies. Every report is its own cluster; the copies of a story
share one. Without template filtering the fixed sentences make reports of
one kind look like copies; with it only the copies should cluster.

    python3 tests/data/templates.py tests/data    # same seed, same bytes
"""
import json
import random
import sys

R = random.Random(5)
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]

MARKET = ("{index} closed {dir} {pct} percent at {level} points on {day}, with "
          "{sector} shares leading the move. Trading volume on the exchange was "
          "{vol} million shares. The index is a market capitalisation weighted "
          "measure of the largest listed companies and is reviewed every quarter "
          "by an independent committee. Prices quoted in this report are "
          "provisional closing values and may be revised after the official "
          "settlement later in the evening. {mover} was the biggest mover, "
          "{mdir} {mpct} percent. Figures are supplied by the exchange and are "
          "delayed by at least fifteen minutes.")
EARNINGS = ("{company} reported {q} quarter net income of {ni} million dollars, "
            "or {eps} dollars per share, on revenue of {rev} million dollars. "
            "Analysts had expected earnings of {exp} dollars per share. Results "
            "are unaudited and prepared under generally accepted accounting "
            "principles; per share figures are diluted and exclude one time "
            "items unless stated otherwise. The company will hold a conference "
            "call for investors and analysts at {hour} a.m. Eastern time. Its "
            "shares {dir} {pct} percent in extended trading. This summary was "
            "generated automatically from the company's filing and has not been "
            "reviewed by an editor.")
WEATHER = ("Forecast for {city} on {day}: {sky}, with a high of {hi} degrees and "
           "a low of {lo} degrees. Winds from the {wind} at {speed} kilometres "
           "per hour. The chance of rain is {rain} percent. Forecasts are issued "
           "by the national weather service four times a day and are valid for "
           "the next twenty four hours; warnings for severe weather are issued "
           "separately and take precedence over this forecast. Sunrise is at "
           "{rise} and sunset at {set}. Air quality is expected to be {air}.")

INDEXES = ["The Northern Composite", "The Harbour 100", "The Eastern Industrial Average",
           "The Pacific All Share", "The Capital Markets 50"]
SECTORS = ["bank", "energy", "mining", "technology", "retail", "telecom", "airline",
           "insurance", "property", "shipping"]
COMPANIES = ["Aldermoor", "Brackwater", "Cindervale", "Dunmore", "Elmstead", "Foxhollow",
             "Greystone", "Hartwell", "Ivybridge", "Juniper", "Kestrel", "Larkspur",
             "Marlow", "Northgate", "Oakridge", "Pemberton", "Quarry Hill", "Redfern",
             "Stonebridge", "Thornbury", "Upton", "Valemount", "Westbrook", "Yarrow"]
CITIES = ["Aberton", "Belcastle", "Corrin", "Dalby", "Eskmouth", "Farrow", "Glenmere",
          "Holt", "Inverly", "Jarrow Point", "Kilnsey", "Lowther", "Millbay", "Norcott",
          "Orwell", "Penhallow", "Quenby", "Rothley", "Saltash", "Tewin"]
SKY = ["sunny", "partly cloudy", "overcast", "showers", "thunderstorms", "fog early",
       "light snow", "clear skies"]
WIND = ["north", "south", "east", "west", "north west", "south east"]
AIR = ["good", "moderate", "poor", "very good"]


def num(lo, hi, nd=1):
    return f"{R.uniform(lo, hi):,.{nd}f}"


def market(i):
    return MARKET.format(index=R.choice(INDEXES), dir=R.choice(["up", "down"]),
                         pct=num(0.1, 3.5, 2), level=num(2000, 40000, 2), day=R.choice(DAYS),
                         sector=R.choice(SECTORS), vol=num(100, 900, 0),
                         mover=R.choice(COMPANIES), mdir=R.choice(["up", "down"]),
                         mpct=num(2, 15, 1))


def earnings(i):
    return EARNINGS.format(company=COMPANIES[i % len(COMPANIES)] + " " +
                           R.choice(["Holdings", "Group", "Industries", "Corp"]),
                           q=R.choice(["first", "second", "third", "fourth"]),
                           ni=num(5, 900, 1), eps=num(0.05, 4.5, 2), rev=num(50, 9000, 1),
                           exp=num(0.05, 4.5, 2), hour=R.choice([8, 9, 10, 11]),
                           dir=R.choice(["rose", "fell"]), pct=num(0.5, 12, 1))


def weather(i):
    lo = R.randint(-10, 18)
    return WEATHER.format(city=CITIES[i % len(CITIES)], day=R.choice(DAYS), sky=R.choice(SKY),
                          hi=lo + R.randint(3, 14), lo=lo, wind=R.choice(WIND),
                          speed=R.randint(5, 60), rain=R.randint(0, 100),
                          rise=f"{R.randint(5, 7)}:{R.randint(0, 59):02d}",
                          set=f"{R.randint(17, 21)}:{R.randint(0, 59):02d}", air=R.choice(AIR))


STORIES = [
    "Rescue crews in the mountain town of Kelso worked through the night to reach "
    "eleven hikers stranded by a rockfall on the northern trail, officials said. "
    "The group had set out before dawn and were cut off when part of the cliff "
    "gave way after days of heavy rain. A helicopter dropped food and blankets to "
    "them in the afternoon, and the first four were brought down on stretchers "
    "shortly before midnight. None of the injuries were thought to be serious.",
    "The city council voted to turn the disused rail yard beside the river into a "
    "park with playing fields, a market hall and housing for about six hundred "
    "families, ending a dispute that has lasted almost ten years. Opponents had "
    "wanted the land kept for industry, arguing that the port would need it again. "
    "Work on clearing the site is due to begin in the spring and the first homes "
    "could be finished within three years, the mayor told reporters.",
    "A violin made more than three centuries ago and missing since a burglary in "
    "the nineteen seventies has been found in the attic of a farmhouse, its owners "
    "said on Thursday. The instrument was recognised by a repairer who had been "
    "asked to fix a cracked rib and noticed a maker's label that matched police "
    "records. Insurers paid out on the theft decades ago and now own the violin, "
    "which experts say could fetch several million at auction.",
    "Scientists studying a lake high in the southern mountains have found a species "
    "of freshwater shrimp that survives the winter frozen in ice and revives when "
    "the water thaws. The animals, each smaller than a grain of rice, were kept "
    "frozen in a laboratory for eight months and most began swimming again within "
    "an hour of being warmed. The team hopes the discovery will help explain how "
    "small creatures endure the long dark winters at altitude.",
    "The national library will open its reading rooms in the evenings and at "
    "weekends from next month after a campaign by students who said they had "
    "nowhere quiet to work. The extra hours will be paid for by a donation from a "
    "former pupil of a city school, who asked not to be named. Librarians said "
    "they expected the busiest times to be the weeks before the summer exams, when "
    "queues for desks already form outside the building before it opens.",
    "Fishermen in the northern bay say the catch of herring this season is the "
    "best they have seen in twenty years, a recovery that marine biologists put "
    "down to strict quotas introduced after the fishery nearly collapsed. Prices at "
    "the harbour auction have fallen by a third as boats return full, and some "
    "crews have begun selling directly to restaurants along the coast. Officials "
    "warned that the quotas would stay in place for at least another five years.",
]


def copies(text, k):
    """Edited copies of a story: a trailer, a truncation, a changed word."""
    words = text.split()
    out = [text + " Additional reporting by staff in the regional bureau.",
           " ".join(words[: len(words) * 3 // 4]),
           " ".join(w if j != 20 else "reportedly" for j, w in enumerate(words))]
    return out[:k]


def main(outdir):
    docs = []  # (id, cluster, text)
    kinds = [("market", market), ("earnings", earnings), ("weather", weather)]
    for i in range(40):
        for name, fn in kinds:
            docs.append((f"{name}-{i:02d}", f"{name}-{i:02d}", fn(i)))
    for s, text in enumerate(STORIES):
        k = 1 + s % 3
        for j, t in enumerate([text] + copies(text, k)):
            docs.append((f"story{s}-{j}", f"story{s}", t))
    order = list(range(len(docs)))
    R.shuffle(order)
    with open(f"{outdir}/templates.jsonl", "w") as f, \
         open(f"{outdir}/templates_labels.tsv", "w") as lab:
        for k in order:
            id_, cl, text = docs[k]
            f.write(json.dumps({"id": id_, "text": text}) + "\n")
            lab.write(f"{id_}\t{cl}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
