"""Realistic Uzbek persons with valid PINFLs."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from shaffof.identity import pinfl
from shaffof.identity.pinfl import Sex

MALE_NAMES = (
    "Aziz",
    "Bobur",
    "Doniyor",
    "Eldor",
    "Farrux",
    "G'ayrat",
    "Husan",
    "Islom",
    "Jasur",
    "Kamol",
    "Laziz",
    "Mansur",
    "Nodir",
    "Otabek",
    "Pulat",
    "Rustam",
    "Sardor",
    "Temur",
    "Ulug'bek",
    "Vohid",
    "Xurshid",
    "Yusuf",
    "Zafar",
    "Sherzod",
    "Shavkat",
    "Akmal",
    "Behzod",
    "Dilshod",
    "Javlon",
    "Sanjar",
)
FEMALE_NAMES = (
    "Aziza",
    "Barno",
    "Dilnoza",
    "Feruza",
    "Gulnora",
    "Hilola",
    "Iroda",
    "Jamila",
    "Kamola",
    "Lola",
    "Madina",
    "Nilufar",
    "Oydin",
    "Rayhona",
    "Sevara",
    "Shahnoza",
    "Umida",
    "Xurshida",
    "Yulduz",
    "Zarina",
    "Malika",
    "Nodira",
    "Dildora",
    "Munisa",
    "Sitora",
)
SURNAME_STEMS = (
    "Abdullayev",
    "Karimov",
    "Rahimov",
    "Toshmatov",
    "Yusupov",
    "Ergashev",
    "Nazarov",
    "Qodirov",
    "Saidov",
    "Umarov",
    "Xolmatov",
    "Ismoilov",
    "Mirzayev",
    "Olimov",
    "Sobirov",
    "Haydarov",
    "Jo'rayev",
    "Aliyev",
    "Hasanov",
    "Rasulov",
    "Sultonov",
    "Tursunov",
    "Valiyev",
    "Zokirov",
    "Mahmudov",
)
# District codes of the PINFL (digits 8–10): arbitrary three-digit codes for the demo.
DISTRICTS = ("261", "262", "263", "264", "265", "301", "302", "303", "304", "305")


@dataclass(frozen=True)
class DemoPerson:
    pinfl: str
    last_name: str
    first_name: str
    patronymic: str


def make_people(count: int, rng: random.Random) -> list[DemoPerson]:
    people: list[DemoPerson] = []
    used: set[str] = set()
    while len(people) < count:
        sex = rng.choice((Sex.male, Sex.female))
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 66))
        code = pinfl.build(birth, sex, rng.choice(DISTRICTS), f"{rng.randrange(1000):03d}")
        if code in used:
            continue
        used.add(code)
        stem = rng.choice(SURNAME_STEMS)
        father = rng.choice(MALE_NAMES).replace("'", "")
        if sex is Sex.male:
            first, last, patronymic = rng.choice(MALE_NAMES), stem, f"{father}ovich"
        else:
            first, last, patronymic = rng.choice(FEMALE_NAMES), f"{stem}a", f"{father}ovna"
        people.append(DemoPerson(code, last, first, patronymic))
    return people
