"""Fictional name pools and the ways partner agencies write the same name, phone, account and date.

Every person the generator invents is a random combination of common given names and surnames
of a country (no real individual is modelled). The same person then reaches the analyst written
the way each agency writes names: in Cyrillic by a Bulgarian force, in Arabic script by a
Moroccan one, transliterated by different schemes ("Aleksandr", "Alexandr", "Alexander"),
SURNAME first in capitals, with diacritics dropped, a short form of the given name, one typing
error, or a birth date with only the year.

All functions are pure and take a :class:`numpy.random.Generator` where chance is involved.

Examples
--------
>>> cyrillic_to_latin("Александр Петров")
'Aleksandr Petrov'
>>> cyrillic_to_latin("Александр Петров", scheme="german")
'Alexandr Petrow'
>>> latin_to_cyrillic("Petrov")
'Петров'
>>> strip_diacritics("Şükrü Çelik")
'Sukru Celik'
>>> format_phone("+31612345678", "national")
'06 12345678'
>>> format_phone("+31612345678", "00")
'0031612345678'
>>> iban_is_valid(make_iban("NL", 123456789))
True
>>> format_iban("NL91ABNA0417164300", "spaced")
'NL91 ABNA 0417 1643 00'
>>> format_birth_date(1985, 3, 12, "year")
'1985'
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "NamePool", "POOLS", "COUNTRY_WEIGHTS", "pool", "cyrillic_to_latin", "latin_to_cyrillic", "to_arabic",
    "arabic_spellings", "strip_diacritics", "is_cyrillic", "is_arabic", "nicknames", "typo", "feminine_surname",
    "PHONE_PLANS", "make_phone", "format_phone", "make_iban", "iban_is_valid", "format_iban",
    "format_birth_date", "CITIES", "STREETS", "TRANSLIT_SCHEMES", "PHONE_STYLES", "IBAN_STYLES",
]


# ---------------------------------------------------------------------------------------------
# Pools
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NamePool:
    """Common given names and surnames of one country, in the script its own registry writes.

    ``script`` is ``latin``, ``cyrillic`` or ``arabic``; for Arabic-script pools the names are
    given in Latin (their most common passport spelling) and :func:`to_arabic` /
    :func:`arabic_spellings` give the Arabic script and the other Latin spellings.
    ``double_surname``: Spanish-style two surnames (paternal, maternal).
    """

    country: str
    script: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    double_surname: bool = False


def _t(text: str) -> tuple[str, ...]:
    return tuple(text.split())


POOLS: dict[str, NamePool] = {p.country: p for p in (
    NamePool("NL", "latin",
             _t("Jan Pieter Johannes Hendrik Willem Cornelis Kees Dirk Thomas Daan Sem Lucas Bram Ruben Jeroen "
                "Martijn Sander Bas Joost Erik Wouter Stijn Niels Mark Dennis Kevin Rick Tim Jesse Mohamed"),
             _t("Anna Maria Johanna Sanne Lotte Emma Fleur Eva Lisa Anouk Iris Femke Esther Marloes Ingrid "
                "Petra Linda Sophie Julia Mirjam"),
             _t("Jansen Bakker Visser Smit Meijer Mulder Bos Vos Peters Hendriks Dekker Brouwer Dijkstra Kok "
                "Jacobs Vermeulen Willems Koster Prins Huisman Kuipers Postma Schouten Veenstra Kramer Blom "
                "Hoekstra Timmermans Groen Sanders Wouters Verhoeven Maas Boer Gerritsen")
             + ("de Vries", "van Dijk", "de Boer", "van den Berg", "de Jong", "van Leeuwen", "de Groot",
                "van der Meer", "van Dam", "de Wit")),
    NamePool("BE", "latin",
             _t("Jan Luc Marc Pieter Koen Bart Wim Dirk Tom Kris Geert Jean Philippe Olivier Nicolas Julien "
                "Maxime Thibault Wout Jens Arne Stef"),
             _t("Marie Sofie Els Katrien An Lien Julie Camille Manon Nathalie Sarah Laura Elise"),
             _t("Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters Dubois Lambert Dupont "
                "Martin Simon Leclercq Verstraete Hermans Michiels Desmet Claeys Lemmens Aerts Smets")
             + ("De Smet", "Van den Bossche", "De Clercq", "Van Damme")),
    NamePool("DE", "latin",
             _t("Thomas Michael Andreas Stefan Christian Markus Daniel Tobias Florian Jürgen Klaus Uwe Jörg "
                "Sebastian Matthias Alexander Jan Lukas Felix Maximilian Dieter Rüdiger Sven"),
             _t("Sabine Petra Claudia Andrea Katrin Julia Anna Laura Lena Jana Monika Ursula Jutta Birgit"),
             _t("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
                "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann "
                "Lange Schmitt Werner Krause Köhler Günther")),
    NamePool("AT", "latin",
             _t("Lukas Florian David Tobias Markus Stefan Andreas Wolfgang Johann Franz Josef Gerhard Christoph "
                "Bernhard Manfred Günter"),
             _t("Anna Lena Sarah Julia Katharina Christina Elisabeth Sabine Andrea Theresa"),
             _t("Gruber Huber Bauer Wagner Müller Pichler Steiner Moser Mayer Hofer Leitner Berger Fuchs "
                "Eder Fischer Schmid Winkler Weber Schwarz Maier Reiter Egger Brunner Lang")),
    NamePool("ES", "latin",
             _t("Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Rafael "
                "Pedro Pablo Ángel Sergio Fernando Jorge Luis Alberto Álvaro Diego Raúl Iván Rubén Óscar Andrés"),
             _t("María Carmen Ana Isabel Laura Cristina Marta Lucía Pilar Elena Rosa Paula Sara Raquel Teresa "
                "Beatriz Nuria Silvia"),
             _t("García González Rodríguez Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz "
                "Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez "
                "Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín"),
             double_surname=True),
    NamePool("CO", "latin",
             _t("Juan Carlos Luis Jorge Andrés Diego Felipe Santiago Sebastián Alejandro Camilo Julián "
                "Mauricio Óscar Hernán Wilson Jhon Édgar Fabio Germán Nelson Álvaro Orlando"),
             _t("María Luz Sandra Diana Paola Carolina Natalia Lina Ángela Marcela Adriana Gloria Yolanda"),
             _t("Rodríguez Gómez González Martínez García López Hernández Sánchez Ramírez Pérez Díaz Muñoz "
                "Rojas Moreno Jiménez Vargas Castro Gutiérrez Álvarez Ortiz Restrepo Ospina Cardona Osorio "
                "Valencia Quintero Zapata Giraldo Castaño Arango Mejía Londoño Cárdenas"),
             double_surname=True),
    NamePool("EC", "latin",
             _t("Luis José Carlos Jorge Juan Segundo Manuel Ángel Víctor Byron Freddy Wilmer Édison Darwin "
                "Holger Milton Patricio"),
             _t("María Rosa Mercedes Gladys Narcisa Blanca Martha Jessica Johanna Verónica"),
             _t("Zambrano Vera Mendoza Cedeño Chávez Moreira Macías Sánchez Torres Rodríguez Intriago "
                "Bravo Guerrero Quiñónez Castillo Pincay Alcívar Loor Villamar Andrade Espinoza Cevallos"),
             double_surname=True),
    NamePool("RO", "latin",
             _t("Ion Andrei Alexandru Mihai Gheorghe Constantin Ștefan Florin Marius Adrian Cristian Vasile "
                "Nicolae Bogdan Ionuț Daniel Răzvan Cătălin Ovidiu Sorin Dumitru Lucian Claudiu Radu Valentin"),
             _t("Maria Elena Ioana Andreea Mihaela Ana Alexandra Cristina Gabriela Daniela Irina Roxana "
                "Florentina Simona"),
             _t("Popescu Ionescu Popa Pop Radu Dumitru Stan Stoica Gheorghe Matei Ciobanu Constantin Rusu "
                "Mihai Marin Munteanu Lazăr Florea Dinu Moldovan Toma Ene Ilie Cristea Dobre Barbu Nistor "
                "Vasilescu Andrei Tudor Sandu Preda Bălan Șerban")),
    NamePool("BG", "cyrillic",
             _t("Георги Иван Димитър Николай Петър Христо Стоян Тодор Васил Атанас Александър Стефан "
                "Красимир Пламен Валентин Любомир Милен Калоян Венцислав Цветан Йордан Ангел Борислав "
                "Мартин Симеон Емил Живко"),
             _t("Мария Иванка Елена Йорданка Надежда Десислава Гергана Цветелина Радка Петя Силвия "
                "Виктория Милена Теодора"),
             _t("Иванов Георгиев Димитров Петров Николов Христов Стоянов Тодоров Илиев Василев Атанасов "
                "Ангелов Колев Йорданов Маринов Стефанов Попов Костов Михайлов Кръстев Цветков Симеонов "
                "Янков Русев Желев Пенев Драганов Найденов Божилов Христозов")),
    NamePool("RU", "cyrillic",
             _t("Александр Сергей Дмитрий Андрей Алексей Максим Евгений Иван Михаил Николай Владимир "
                "Артём Павел Игорь Олег Юрий Роман Денис Константин Виктор Вячеслав Григорий Фёдор"),
             _t("Елена Ольга Наталья Татьяна Ирина Светлана Анна Мария Юлия Екатерина Людмила Анастасия"),
             _t("Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов "
                "Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев "
                "Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв")),
    NamePool("UA", "cyrillic",
             _t("Олександр Андрій Сергій Дмитро Віталій Юрій Олег Богдан Тарас Василь Іван Микола Петро "
                "Володимир Ярослав Максим"),
             _t("Олена Наталія Тетяна Оксана Ірина Юлія Світлана Ганна Марія Людмила"),
             _t("Шевченко Коваленко Бондаренко Ткаченко Кравченко Олійник Шевчук Коваль Поліщук Бойко "
                "Ткачук Савченко Руденко Мельник Лисенко Марченко Мороз Петренко Клименко Павленко")),
    NamePool("TR", "latin",
             _t("Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Osman Yusuf Murat Ömer Ramazan Halil "
                "Süleyman Abdullah Mahmut Salih Kemal Recep Emre Burak Serkan Volkan Gökhan Tolga Cem Kadir"),
             _t("Fatma Ayşe Emine Hatice Zeynep Elif Meryem Şerife Zehra Sultan Hanife Merve Özlem Esra"),
             _t("Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç "
                "Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Özcan Korkmaz Çakır Erdoğan Yavuz Can Acar "
                "Şen Aktaş Güler Yalçın Güneş Bozkurt Bulut")),
    NamePool("AL", "latin",
             _t("Arben Artan Besnik Bledar Dritan Edmond Elton Ermal Fatmir Gentian Ilir Klodian Kujtim "
                "Luan Mentor Ndriçim Olsi Redon Sokol Taulant Valon Xhevdet Ylli Agron Gëzim"),
             _t("Anila Blerina Dorina Elona Entela Fatjona Jonida Klaudia Lindita Mirela Valbona Vjollca"),
             _t("Hoxha Shehu Gjoka Leka Marku Kola Dervishi Basha Hysa Prifti Çela Mema Koci Duka Gjini Lika "
                "Hasani Krasniqi Berisha Gashi Morina Kastrati Bytyqi Shala Rama Zeka Muça Lleshi")),
    NamePool("NG", "latin",
             _t("Chinedu Emeka Oluwaseun Babajide Ifeanyi Tunde Segun Chukwuemeka Obinna Uche Nnamdi Femi "
                "Ikechukwu Kelechi Adebayo Olumide Musa Ibrahim Yusuf Godwin Sunday Emmanuel Michael"),
             _t("Ngozi Chiamaka Funmilayo Adaeze Blessing Chioma Folake Yetunde Amaka Aisha Bukola Ifeoma"),
             _t("Okafor Adeyemi Okonkwo Eze Nwosu Ogunleye Balogun Abubakar Ibrahim Bello Okoro Nwachukwu "
                "Adebayo Oyelaran Olawale Onyeka Chukwu Uzor Akinola Ogundipe Obi Nnaji Ekwueme Adewale")),
    NamePool("MA", "arabic",
             _t("Mohammed Ahmed Youssef Hamza Mehdi Karim Rachid Hassan Said Abdelaziz Omar Khalid Mustapha "
                "Adil Nabil Hicham Driss Abdellah Brahim Anouar Ayoub Yassine Ismail Othmane"),
             _t("Fatima Khadija Aicha Meryem Salma Nadia Samira Latifa Houda Zineb Imane Naima"),
             _t("Benali Alaoui Bennani Tazi Idrissi Chraibi El-Amrani Berrada Lahlou Fassi Ouazzani Tahiri "
                "Bouzid Ziani Mansouri Rahmouni El-Khatib Haddad Belkadi Sabri Amrani Kettani Naciri")),
    NamePool("SY", "arabic",
             _t("Mohammed Ahmed Khaled Omar Mahmoud Ali Hassan Hussein Ibrahim Yousef Abdullah Mustafa Bashar "
                "Rami Samer Fadi Tarek Walid Ziad Ayman Anas Firas Nizar"),
             _t("Fatima Aisha Maryam Rania Lina Nour Hala Dima Reem Rasha Sawsan Zeinab"),
             _t("Al-Hassan Al-Ahmad Al-Ali Haddad Khoury Al-Khatib Darwish Sabbagh Halabi Al-Masri Qassem "
                "Hamdan Shami Al-Hussein Najjar Homsi Al-Omar Kurdi Al-Issa Mansour Saleh Jaber Nasser")),
    NamePool("IQ", "arabic",
             _t("Mohammed Ali Hussein Ahmed Hassan Abbas Mustafa Haider Karrar Omar Ammar Yasser Qasim "
                "Jassim Mahdi Sajjad Zaid Hamid Salam Muntadhar"),
             _t("Zainab Fatima Maryam Noor Hawraa Sara Shahad Ruqaya Huda Aseel"),
             _t("Al-Jaburi Al-Tamimi Al-Dulaimi Al-Obaidi Al-Maliki Al-Saadi Al-Zubaidi Al-Rubaie Al-Janabi "
                "Al-Shammari Al-Khafaji Al-Musawi Al-Hashimi Al-Azzawi Al-Kubaisi Al-Bayati")),
)}

#: How often each nationality appears among generated persons (the sample's partner region).
COUNTRY_WEIGHTS: dict[str, float] = {
    "NL": 0.12, "BE": 0.05, "DE": 0.09, "AT": 0.04, "ES": 0.10, "CO": 0.05, "EC": 0.03, "RO": 0.09, "BG": 0.08,
    "RU": 0.04, "UA": 0.03, "TR": 0.08, "AL": 0.05, "NG": 0.04, "MA": 0.05, "SY": 0.04, "IQ": 0.02,
}


def pool(country: str) -> NamePool:
    """The name pool of ``country`` (ISO2); KeyError names the known ones."""
    try:
        return POOLS[country.upper()]
    except KeyError:
        raise KeyError(f"no name pool for {country!r}; known: {', '.join(sorted(POOLS))}") from None


# ---------------------------------------------------------------------------------------------
# Scripts
# ---------------------------------------------------------------------------------------------
_CYR_BASE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}
#: Transliteration schemes from Cyrillic: what differs from the BGN/PCGN-like base.
TRANSLIT_SCHEMES: dict[str, dict[str, str]] = {
    "bgn": {},
    "bulgarian": {"х": "h", "щ": "sht", "ъ": "a", "ж": "zh", "й": "y", "ю": "yu", "я": "ya"},
    "icao": {"й": "i", "ю": "iu", "я": "ia", "ъ": "ie", "ё": "e"},
    "german": {"ж": "sch", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch", "й": "j", "ю": "ju",
               "я": "ja", "в": "w", "з": "s", "кс": "x", "ё": "jo", "ъ": "", "е": "e"},
    "french": {"ж": "j", "х": "kh", "ч": "tch", "ш": "ch", "щ": "chtch", "у": "ou", "ю": "iou", "я": "ia",
               "й": "i", "ё": "io"},
    "english": {"кс": "x", "й": "y", "ё": "e"},
    "ukrainian": {"и": "y", "г": "h", "і": "i", "ї": "i", "є": "ie", "й": "i", "ю": "iu", "я": "ia"},
}


@lru_cache(maxsize=262144)
def is_cyrillic(text: str) -> bool:
    """Whether the text holds Cyrillic letters."""
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


@lru_cache(maxsize=262144)
def is_arabic(text: str) -> bool:
    """Whether the text holds Arabic-script letters."""
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


@lru_cache(maxsize=65536)
def cyrillic_to_latin(text: str, scheme: str = "bgn") -> str:
    """Transliterate Cyrillic to Latin by one of :data:`TRANSLIT_SCHEMES`; other characters unchanged.

    >>> cyrillic_to_latin("Щерев", scheme="bulgarian"), cyrillic_to_latin("Щерев")
    ('Shterev', 'Shcherev')
    """
    table = {**_CYR_BASE, **TRANSLIT_SCHEMES[scheme]}
    pairs = sorted((k for k in table if len(k) > 1), key=len, reverse=True)
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        low = text[i:i + 2].lower()
        if low in pairs:
            rep = table[low]
            out.append(rep.capitalize() if ch.isupper() else rep)
            i += 2
            continue
        rep = table.get(ch.lower())
        if rep is None:
            out.append(ch)
        elif ch.isupper():
            nxt = text[i + 1:i + 2]
            out.append(rep.upper() if nxt.isupper() and len(rep) > 1 else rep.capitalize())
        else:
            out.append(rep)
        i += 1
    return "".join(out)


_LAT_TO_CYR = (
    ("shch", "щ"), ("sch", "ш"), ("tsch", "ч"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
    ("ya", "я"), ("yu", "ю"), ("yo", "йо"), ("ja", "я"), ("ju", "ю"), ("ij", "ей"), ("oe", "у"), ("ou", "у"),
    ("ph", "ф"), ("th", "т"), ("ck", "к"), ("x", "кс"), ("qu", "кв"),
    ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"),
    ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "к"), ("r", "р"),
    ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("y", "и"), ("z", "з"),
)


@lru_cache(maxsize=65536)
def latin_to_cyrillic(text: str) -> str:
    """Write a Latin-script name in Cyrillic as a Bulgarian or Russian clerk would (greedy digraphs).

    >>> latin_to_cyrillic("Mehmet Yilmaz")
    'Мехмет Йилмаз'
    """
    src = strip_diacritics(text)
    out: list[str] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if not ch.isalpha():
            out.append(ch)
            i += 1
            continue
        for lat, cyr in _LAT_TO_CYR:
            if src[i:i + len(lat)].lower() == lat:
                # y before a vowel is a consonant (й); elsewhere a vowel (и)
                if lat == "y" and src[i + 1:i + 2].lower() in "aeiou" and src[i + 1:i + 2]:
                    cyr = "й"
                if lat == "c" and src[i + 1:i + 2].lower() in ("e", "i"):
                    cyr = "ц"
                out.append(cyr[0].upper() + cyr[1:] if ch.isupper() else cyr)
                i += len(lat)
                break
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# Arabic-script spellings of the Arabic-pool names and their other usual Latin spellings.
_ARABIC: dict[str, tuple[str, tuple[str, ...]]] = {
    "Mohammed": ("محمد", ("Muhammad", "Mohamed", "Mohamad", "Mohammad")),
    "Ahmed": ("أحمد", ("Ahmad", "Ahmet")), "Youssef": ("يوسف", ("Yusuf", "Yousef", "Youssef")),
    "Yousef": ("يوسف", ("Youssef", "Yusuf")), "Hamza": ("حمزة", ("Hamzah",)), "Mehdi": ("مهدي", ("Mahdi",)),
    "Mahdi": ("مهدي", ("Mehdi",)), "Karim": ("كريم", ("Kareem",)), "Rachid": ("رشيد", ("Rashid", "Rasheed")),
    "Hassan": ("حسن", ("Hasan",)), "Said": ("سعيد", ("Saeed", "Saïd")),
    "Abdelaziz": ("عبد العزيز", ("Abdulaziz", "Abd al-Aziz")), "Omar": ("عمر", ("Umar", "Omer")),
    "Khalid": ("خالد", ("Khaled",)), "Khaled": ("خالد", ("Khalid",)), "Mustapha": ("مصطفى", ("Mustafa", "Moustafa")),
    "Mustafa": ("مصطفى", ("Mostafa", "Mustapha")), "Adil": ("عادل", ("Adel",)), "Nabil": ("نبيل", ("Nabeel",)),
    "Hicham": ("هشام", ("Hisham",)), "Driss": ("إدريس", ("Idris",)), "Abdellah": ("عبد الله", ("Abdullah", "Abdallah")),
    "Abdullah": ("عبد الله", ("Abdallah", "Abdulla")), "Brahim": ("إبراهيم", ("Ibrahim",)),
    "Ibrahim": ("إبراهيم", ("Ebrahim", "Brahim")), "Anouar": ("أنور", ("Anwar",)), "Ayoub": ("أيوب", ("Ayub",)),
    "Yassine": ("ياسين", ("Yasin", "Yaseen")), "Ismail": ("إسماعيل", ("Ismael", "Esmail")),
    "Othmane": ("عثمان", ("Othman", "Uthman")), "Mahmoud": ("محمود", ("Mahmud", "Mahmood")),
    "Ali": ("علي", ("Aly",)), "Hussein": ("حسين", ("Husain", "Hussain", "Hossein")), "Bashar": ("بشار", ("Bachar",)),
    "Rami": ("رامي", ("Ramy",)), "Samer": ("سامر", ("Samir",)), "Fadi": ("فادي", ("Fady",)), "Tarek": ("طارق", ("Tariq", "Tarik")),
    "Walid": ("وليد", ("Waleed",)), "Ziad": ("زياد", ("Ziyad",)), "Ayman": ("أيمن", ("Aiman",)), "Anas": ("أنس", ("Anass",)),
    "Firas": ("فراس", ("Feras",)), "Nizar": ("نزار", ("Nezar",)), "Abbas": ("عباس", ("Abas",)), "Haider": ("حيدر", ("Haidar", "Hayder")),
    "Karrar": ("كرار", ("Karar",)), "Ammar": ("عمار", ("Amar",)), "Yasser": ("ياسر", ("Yasir", "Yaser")),
    "Qasim": ("قاسم", ("Kassem", "Qassim")), "Jassim": ("جاسم", ("Jasim", "Jasem")), "Sajjad": ("سجاد", ("Sajad",)),
    "Zaid": ("زيد", ("Zayd", "Zeid")), "Hamid": ("حامد", ("Hamed",)), "Salam": ("سلام", ("Salaam",)),
    "Muntadhar": ("منتظر", ("Muntazer",)),
    "Fatima": ("فاطمة", ("Fatma", "Fatimah")), "Khadija": ("خديجة", ("Khadidja", "Khadeeja")),
    "Aicha": ("عائشة", ("Aisha", "Aysha")), "Aisha": ("عائشة", ("Aicha", "Ayesha")), "Meryem": ("مريم", ("Maryam", "Mariam")),
    "Maryam": ("مريم", ("Mariam", "Meryem")), "Salma": ("سلمى", ("Selma",)), "Nadia": ("نادية", ("Nadiya",)),
    "Samira": ("سميرة", ("Sameera",)), "Latifa": ("لطيفة", ("Latifah",)), "Houda": ("هدى", ("Huda", "Hoda")),
    "Huda": ("هدى", ("Houda", "Hoda")), "Zineb": ("زينب", ("Zainab", "Zaynab")), "Zainab": ("زينب", ("Zeinab", "Zaynab")),
    "Zeinab": ("زينب", ("Zainab", "Zaynab")), "Imane": ("إيمان", ("Iman", "Eman")), "Naima": ("نعيمة", ("Naeema",)),
    "Rania": ("رانيا", ("Ranya",)), "Lina": ("لينا", ("Leena",)), "Nour": ("نور", ("Noor", "Nur")), "Noor": ("نور", ("Nour", "Nur")),
    "Hala": ("هالة", ("Halah",)), "Dima": ("ديما", ("Deema",)), "Reem": ("ريم", ("Rim",)), "Rasha": ("رشا", ("Racha",)),
    "Sawsan": ("سوسن", ("Sausan",)), "Hawraa": ("حوراء", ("Hawra",)), "Sara": ("سارة", ("Sarah",)),
    "Shahad": ("شهد", ("Shahd",)), "Ruqaya": ("رقية", ("Ruqayya", "Roqaya")), "Aseel": ("أسيل", ("Asil",)),
    "Benali": ("بن علي", ("Ben Ali", "Ben-Ali")), "Alaoui": ("العلوي", ("El Alaoui", "Alaoui")),
    "Bennani": ("بناني", ("Benani",)), "Tazi": ("التازي", ("El Tazi", "Tazy")), "Idrissi": ("الإدريسي", ("El Idrissi", "Idrisi")),
    "Chraibi": ("الشرايبي", ("Chraïbi", "Sharaibi")), "El-Amrani": ("العمراني", ("El Amrani", "Amrani")),
    "Berrada": ("برادة", ("Berada",)), "Lahlou": ("لحلو", ("Lahlu",)), "Fassi": ("الفاسي", ("El Fassi", "Fasi")),
    "Ouazzani": ("الوزاني", ("Wazzani", "Ouazani")), "Tahiri": ("الطاهري", ("Tahiry", "El Tahiri")),
    "Bouzid": ("بوزيد", ("Bouzaid",)), "Ziani": ("الزياني", ("Zyani",)), "Mansouri": ("المنصوري", ("Mansuri", "El Mansouri")),
    "Rahmouni": ("الرحموني", ("Rahmuni",)), "El-Khatib": ("الخطيب", ("Al-Khatib", "El Khatib", "Khatib")),
    "Haddad": ("حداد", ("Hadad", "Al-Haddad")), "Belkadi": ("بلقاضي", ("Belkady",)), "Sabri": ("صبري", ("Sabry",)),
    "Amrani": ("العمراني", ("El Amrani", "Amrany")), "Kettani": ("الكتاني", ("Kattani",)), "Naciri": ("الناصري", ("Nasiri", "Nassiri")),
    "Al-Hassan": ("الحسن", ("Al Hassan", "Alhassan", "El-Hassan")), "Al-Ahmad": ("الأحمد", ("Al Ahmad", "Alahmad")),
    "Al-Ali": ("العلي", ("Al Ali", "Alali")), "Khoury": ("خوري", ("Khouri", "Khuri")),
    "Al-Khatib": ("الخطيب", ("Al Khatib", "Alkhatib", "El-Khatib")), "Darwish": ("درويش", ("Darwich", "Derwish")),
    "Sabbagh": ("صباغ", ("Sabagh", "Al-Sabbagh")), "Halabi": ("حلبي", ("Al-Halabi", "Halaby")),
    "Al-Masri": ("المصري", ("Al Masri", "El-Masry")), "Qassem": ("قاسم", ("Kassem", "Qasim")),
    "Hamdan": ("حمدان", ("Hamadan",)), "Shami": ("شامي", ("Al-Shami", "Chami")),
    "Al-Hussein": ("الحسين", ("Al Hussein", "Alhussein")), "Najjar": ("نجار", ("Najar", "Al-Najjar")),
    "Homsi": ("حمصي", ("Al-Homsi", "Hemsi")), "Al-Omar": ("العمر", ("Al Omar", "Alomar")), "Kurdi": ("كردي", ("Al-Kurdi",)),
    "Al-Issa": ("العيسى", ("Al Issa", "Alissa")), "Mansour": ("منصور", ("Mansur", "Mansoor")),
    "Saleh": ("صالح", ("Salih", "Salah")), "Jaber": ("جابر", ("Jabir",)), "Nasser": ("ناصر", ("Nasir", "Naser")),
    "Al-Jaburi": ("الجبوري", ("Al-Jubouri", "Aljaburi", "Al Juburi")), "Al-Tamimi": ("التميمي", ("Al Tamimi", "Altamimi")),
    "Al-Dulaimi": ("الدليمي", ("Al-Dulaymi", "Aldulaimi")), "Al-Obaidi": ("العبيدي", ("Al-Ubaidi", "Alobaidi")),
    "Al-Maliki": ("المالكي", ("Al Maliki", "Almaliki")), "Al-Saadi": ("الساعدي", ("Al-Saedi", "Alsaadi")),
    "Al-Zubaidi": ("الزبيدي", ("Al-Zubaydi", "Alzubaidi")), "Al-Rubaie": ("الربيعي", ("Al-Rubaiy", "Alrubaie")),
    "Al-Janabi": ("الجنابي", ("Al Janabi", "Aljanabi")), "Al-Shammari": ("الشمري", ("Al-Shamari", "Alshammari")),
    "Al-Khafaji": ("الخفاجي", ("Al Khafaji", "Alkhafaji")), "Al-Musawi": ("الموسوي", ("Al-Mousawi", "Almusawi")),
    "Al-Hashimi": ("الهاشمي", ("Al-Hashemi", "Alhashimi")), "Al-Azzawi": ("العزاوي", ("Al-Azawi", "Alazzawi")),
    "Al-Kubaisi": ("الكبيسي", ("Al-Kubaysi", "Alkubaisi")), "Al-Bayati": ("البياتي", ("Al Bayati", "Albayati")),
}


def to_arabic(name: str) -> str | None:
    """The Arabic-script spelling of a name from an Arabic-script pool (None if unknown)."""
    entry = _ARABIC.get(name)
    return entry[0] if entry else None


def arabic_spellings(name: str) -> tuple[str, ...]:
    """Other usual Latin spellings of an Arabic-pool name (``Mohammed`` -> ``Muhammad``, ...)."""
    entry = _ARABIC.get(name)
    return entry[1] if entry else ()


@lru_cache(maxsize=262144)
def strip_diacritics(text: str) -> str:
    """Drop accents as an export in plain ASCII does (``ı`` -> ``i``, ``ß`` -> ``ss``, ``ø`` -> ``o``)."""
    text = text.replace("ı", "i").replace("İ", "I").replace("ß", "ss").replace("ø", "o").replace("Ø", "O")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


# ---------------------------------------------------------------------------------------------
# Short forms, typing errors, feminine forms
# ---------------------------------------------------------------------------------------------
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "Johannes": ("Jan", "Hans", "Joop"), "Hendrik": ("Henk", "Rik"), "Willem": ("Wim", "Pim"), "Cornelis": ("Kees", "Cor"),
    "Pieter": ("Piet",), "Thomas": ("Tom", "Thom"), "Jeroen": ("Jer",), "Martijn": ("Tijn",), "Alexander": ("Alex", "Sascha"),
    "Sebastian": ("Basti",), "Matthias": ("Matze",), "Maximilian": ("Max",), "Michael": ("Micha", "Mike"),
    "Christian": ("Chris",), "Andreas": ("Andi",), "Stefan": ("Steff",), "Daniel": ("Dani",), "Wolfgang": ("Wolf",),
    "Francisco": ("Paco", "Curro", "Fran"), "José": ("Pepe",), "Antonio": ("Toni",), "Alejandro": ("Álex", "Alex"),
    "Manuel": ("Manolo",), "Jesús": ("Chus", "Chucho"), "Rafael": ("Rafa",), "Ignacio": ("Nacho",), "Alberto": ("Beto",),
    "Fernando": ("Nando",), "Guillermo": ("Memo",), "Santiago": ("Santi",), "Sebastián": ("Sebas",), "Alexandru": ("Alex",),
    "Gheorghe": ("Ghiță",), "Constantin": ("Costel", "Costi"), "Ionuț": ("Ionel",), "Cristian": ("Cristi",), "Mihai": ("Mișu",),
    "Nicolae": ("Nicu",), "Vasile": ("Vasi",),
    "Александр": ("Саша", "Алекс"), "Александър": ("Сашо", "Алекс"), "Дмитрий": ("Дима",), "Сергей": ("Серёжа",),
    "Алексей": ("Лёша",), "Евгений": ("Женя",), "Иван": ("Ваня",), "Михаил": ("Миша",), "Николай": ("Коля", "Ники"),
    "Владимир": ("Володя", "Вова"), "Павел": ("Паша",), "Константин": ("Костя",), "Виктор": ("Витя",),
    "Георги": ("Гошо", "Жоро"), "Димитър": ("Митко",), "Петър": ("Пепи",), "Христо": ("Ицо",), "Стоян": ("Стоянчо",),
    "Тодор": ("Тошо",), "Васил": ("Васко",), "Атанас": ("Наско",), "Красимир": ("Краси",), "Пламен": ("Плами",),
    "Любомир": ("Любо",), "Венцислав": ("Венци",), "Йордан": ("Данчо",), "Борислав": ("Боби",),
    "Олександр": ("Сашко",), "Дмитро": ("Діма",), "Володимир": ("Вова",), "Елена": ("Лена",), "Екатерина": ("Катя",),
    "Наталья": ("Наташа",), "Татьяна": ("Таня",), "Анастасия": ("Настя",), "Мария": ("Маша", "Мими"),
    "Mehmet": ("Memo",), "Mustafa": ("Musti",), "Hüseyin": ("Hüso",), "Abdullah": ("Apo",), "İbrahim": ("İbo",),
    "Mohammed": ("Mo", "Hamid"), "Mohamed": ("Mo",), "Youssef": ("Youss",), "Abdelaziz": ("Aziz",), "Abdellah": ("Abdou",),
    "Chukwuemeka": ("Emeka",), "Oluwaseun": ("Seun",), "Ikechukwu": ("Ike",), "Babajide": ("Jide",), "Olumide": ("Mide",),
    "Emmanuel": ("Emma", "Manny"), "Chiamaka": ("Amaka",), "Funmilayo": ("Funmi",),
    "Gentian": ("Genti",), "Klodian": ("Klodi",), "Bledar": ("Dari",),
    "Maria": ("Mia",), "Johanna": ("Jo", "Hanneke"), "Katharina": ("Kathi",), "Elisabeth": ("Lisa", "Sissi"),
    "Alexandra": ("Alex",), "Cristina": ("Cris",), "Isabel": ("Isa",), "Teresa": ("Tere",), "Dolores": ("Lola",),
}


def nicknames(given: str) -> tuple[str, ...]:
    """Short forms of a given name (empty if none is known)."""
    return _NICKNAMES.get(given, ())


_KEYBOARD_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo", "j": "hk",
    "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et", "s": "ad", "t": "ry",
    "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "xa",
}


def typo(text: str, rng: np.random.Generator) -> str:
    """One typing error: a neighbouring key, a dropped, doubled or transposed letter.

    The first letter is kept (clerks rarely miss it), so the result stays one edit away.

    >>> rng = np.random.default_rng(1)
    >>> t = typo("Petrov", rng)
    >>> t != "Petrov" and t[0] == "P"
    True
    """
    if len(text) < 3:
        return text
    i = int(rng.integers(1, len(text)))
    kind = int(rng.integers(0, 4))
    ch = text[i]
    if kind == 0 and ch.lower() in _KEYBOARD_NEIGHBOURS:
        opts = _KEYBOARD_NEIGHBOURS[ch.lower()]
        rep = opts[int(rng.integers(0, len(opts)))]
        return text[:i] + (rep.upper() if ch.isupper() else rep) + text[i + 1:]
    if kind == 1 and len(text) > 3:
        return text[:i] + text[i + 1:]
    if kind == 2 and i < len(text) - 1 and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + ch + text[i:]


def feminine_surname(surname: str, country: str) -> str:
    """The feminine form of a Slavic surname (``Петров`` -> ``Петрова``); others unchanged."""
    if country in ("BG", "RU") and surname.endswith(("ов", "ев", "ёв", "ин")):
        return surname + "а"
    if country == "RU" and surname.endswith("ий"):
        return surname[:-2] + "ая"
    return surname


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhonePlan:
    """A country's mobile numbering: calling code, trunk prefix, mobile prefixes, digits after them,
    and how the national format groups the national significant number."""

    country: str
    code: str
    trunk: str
    prefixes: tuple[str, ...]
    rest: int
    groups: tuple[int, ...]


PHONE_PLANS: dict[str, PhonePlan] = {p.country: p for p in (
    PhonePlan("NL", "31", "0", ("61", "62", "63", "64", "65"), 7, (1, 8)),
    PhonePlan("BE", "32", "0", ("470", "472", "475", "477", "478", "479", "484", "486", "488", "495", "496"), 6, (3, 2, 2, 2)),
    PhonePlan("DE", "49", "0", ("151", "152", "160", "162", "170", "171", "172", "173", "175", "176", "177", "178", "179"), 8, (4, 7)),
    PhonePlan("AT", "43", "0", ("664", "650", "660", "676", "699"), 7, (3, 7)),
    PhonePlan("ES", "34", "", ("60", "61", "62", "63", "64", "65", "66", "67", "68", "69"), 7, (3, 2, 2, 2)),
    PhonePlan("CO", "57", "", ("300", "301", "310", "311", "312", "313", "314", "315", "316", "317", "318", "320", "321"), 7, (3, 7)),
    PhonePlan("EC", "593", "0", ("98", "99"), 7, (2, 3, 4)),
    PhonePlan("RO", "40", "0", ("72", "73", "74", "75", "76", "77"), 7, (3, 3, 3)),
    PhonePlan("BG", "359", "0", ("87", "88", "89"), 7, (2, 3, 4)),
    PhonePlan("HU", "36", "06", ("20", "30", "70"), 7, (2, 3, 4)),
    PhonePlan("RU", "7", "8", ("91", "92", "98", "90"), 8, (3, 3, 2, 2)),
    PhonePlan("UA", "380", "0", ("50", "63", "66", "67", "68", "93", "95", "97", "99"), 7, (2, 3, 4)),
    PhonePlan("TR", "90", "0", ("53", "54", "55", "50"), 8, (3, 3, 2, 2)),
    PhonePlan("AL", "355", "0", ("69",), 7, (2, 3, 4)),
    PhonePlan("NG", "234", "0", ("803", "806", "813", "816", "703", "706", "805", "807", "815"), 7, (3, 3, 4)),
    PhonePlan("MA", "212", "0", ("61", "62", "66", "67", "70"), 7, (1, 2, 2, 2, 2)),
    PhonePlan("SY", "963", "0", ("93", "94", "95", "98", "99"), 7, (3, 3, 3)),
    PhonePlan("IQ", "964", "0", ("770", "771", "780", "750", "790"), 7, (3, 3, 4)),
    PhonePlan("FR", "33", "0", ("61", "62", "64", "65", "66", "67", "68", "75", "76", "78"), 7, (1, 2, 2, 2, 2)),
    PhonePlan("GB", "44", "0", ("74", "75", "78"), 8, (4, 6)),
    PhonePlan("PA", "507", "", ("61", "62", "63", "65", "66", "67", "68", "69"), 6, (4, 4)),
)}

#: How a phone number may be written: E.164, national (with spaces), 00-prefixed, international with spaces.
PHONE_STYLES = ("e164", "national", "00", "international", "compact_national")


def make_phone(country: str, serial: int, *, salt: int = 0) -> str:
    """A mobile number of ``country`` in E.164, deterministic in ``serial`` (distinct serials, distinct numbers).

    >>> make_phone("BG", 0), make_phone("BG", 1)
    ('+359870004711', '+359892456364')
    """
    plan = PHONE_PLANS[country]
    space = 10 ** plan.rest
    # multiplying by a prime coprime to the number space is a bijection: distinct serials, distinct numbers
    value = (serial * 982_451_653 + salt * 7_919 + 4_711) % (space * len(plan.prefixes))
    prefix = plan.prefixes[(value // space) % len(plan.prefixes)]
    return f"+{plan.code}{prefix}{value % space:0{plan.rest}d}"


@lru_cache(maxsize=262144)
def _plan_of(e164: str) -> PhonePlan:
    digits = e164.lstrip("+")
    for code_len in (3, 2, 1):
        code = digits[:code_len]
        for plan in PHONE_PLANS.values():
            if plan.code == code and digits[code_len:].startswith(plan.prefixes):
                return plan
    raise ValueError(f"{e164!r} is not a number of a known plan")


def format_phone(e164: str, style: str) -> str:
    """Write an E.164 mobile number in one of :data:`PHONE_STYLES`.

    ``national`` and ``compact_national`` are only meaningful for an agency of the number's own
    country (a foreign clerk writes foreign numbers internationally).

    >>> format_phone("+359881234567", "national"), format_phone("+359881234567", "international")
    ('088 123 4567', '+359 88 1234567')
    """
    if style == "e164":
        return e164
    plan = _plan_of(e164)
    nsn = e164[1 + len(plan.code):]
    if style == "00":
        return "00" + e164[1:]
    if style == "international":
        head = next(p for p in plan.prefixes if nsn.startswith(p))
        return f"+{plan.code} {head} {nsn[len(head):]}"
    if style == "compact_national":
        return plan.trunk + nsn
    if style == "national":
        parts, pos = [], 0
        for size in plan.groups:
            parts.append(nsn[pos:pos + size])
            pos += size
        if pos < len(nsn):
            parts[-1] += nsn[pos:]
        parts[0] = plan.trunk + parts[0]
        return " ".join(p for p in parts if p)
    raise ValueError(f"unknown phone style {style!r}; use one of {PHONE_STYLES}")


# ---------------------------------------------------------------------------------------------
# IBANs
# ---------------------------------------------------------------------------------------------
# country: (bank codes, length of the account part after the bank code)
_IBAN_BANKS: dict[str, tuple[tuple[str, ...], int]] = {
    "NL": (("ABNA", "INGB", "RABO", "SNSB", "TRIO", "BUNQ", "KNAB"), 10),
    "BE": (("001", "068", "310", "363", "539", "735"), 9),
    "DE": (("10010010", "20050550", "37040044", "50010517", "70020270", "12030000"), 10),
    "AT": (("12000", "20111", "14000", "32000"), 11),
    "ES": (("21000418", "00491500", "20852066", "01822370", "00810216"), 12),
    "RO": (("RNCB", "BTRL", "BRDE", "INGB", "RZBR"), 16),
    "BG": (("UNCR7000", "BPBI7940", "STSA9300", "FINV9150", "UBBS8002"), 10),
    "HU": (("1177301", "1040000", "1200000", "1160000"), 17),
    "TR": (("000100", "000640", "000150", "000620"), 16),
    "AL": (("20211009", "21110120", "20511015"), 16),
    "FR": (("3000600001", "3000400003", "1027800001"), 13),
    "IT": (("X0306909606", "Y0200802480", "Z0503401633"), 12),
    "GB": (("NWBK601613", "BARC200000", "HBUK401234"), 8),
    "MT": (("MALT01100", "VALL22013"), 18),
    "CY": (("00200128", "00500001"), 16),
    "LT": (("10000", "73000"), 11),
    "AE": (("033", "026"), 16),
}
#: How an IBAN may be written.
IBAN_STYLES = ("compact", "spaced", "lower", "lower_spaced")


def _iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{98 - number % 97:02d}"


def make_iban(country: str, serial: int) -> str:
    """A valid IBAN (correct mod-97 check digits) of ``country``, deterministic in ``serial``.

    >>> make_iban("DE", 42)
    'DE93100100100000000042'
    """
    banks, length = _IBAN_BANKS[country]
    bank = banks[serial % len(banks)]
    account = f"{serial:0{length}d}"[-length:]
    bban = bank + account
    return country + _iban_check(country, bban) + bban


def iban_is_valid(iban: str) -> bool:
    """Whether an IBAN (any spacing or case) passes the mod-97 check."""
    text = iban.replace(" ", "").upper()
    if len(text) < 15 or not text[:2].isalpha():
        return False
    rearranged = text[4:] + text[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1
    except ValueError:
        return False


def format_iban(iban: str, style: str) -> str:
    """Write an IBAN in one of :data:`IBAN_STYLES`."""
    if style == "compact":
        return iban
    spaced = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    if style == "spaced":
        return spaced
    if style == "lower":
        return iban.lower()
    if style == "lower_spaced":
        return spaced.lower()
    raise ValueError(f"unknown IBAN style {style!r}; use one of {IBAN_STYLES}")


# ---------------------------------------------------------------------------------------------
# Dates, places
# ---------------------------------------------------------------------------------------------
def format_birth_date(year: int, month: int, day: int, precision: str = "day", fmt: str = "%Y-%m-%d") -> str:
    """A date of birth as written with ``precision`` ``day``, ``month`` (year-month) or ``year``.

    ``fmt`` is the agency's full-date format; partial dates are ISO-like (``1985-03``, ``1985``)
    as registries write them.

    >>> format_birth_date(1985, 3, 12, "day", "%d.%m.%Y"), format_birth_date(1985, 3, 12, "month")
    ('12.03.1985', '1985-03')
    """
    if precision == "year":
        return f"{year:04d}"
    if precision == "month":
        return f"{year:04d}-{month:02d}"
    return fmt.replace("%Y", f"{year:04d}").replace("%m", f"{month:02d}").replace("%d", f"{day:02d}")


CITIES: dict[str, tuple[str, ...]] = {
    "NL": ("Rotterdam", "Amsterdam", "Den Haag", "Utrecht", "Eindhoven", "Tilburg", "Breda", "Venlo", "Almere", "Vlissingen"),
    "BE": ("Antwerpen", "Brussel", "Gent", "Liège", "Charleroi", "Mechelen", "Brugge", "Zeebrugge"),
    "DE": ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Düsseldorf", "Dortmund", "Bremen", "Passau"),
    "AT": ("Wien", "Graz", "Linz", "Salzburg", "Nickelsdorf", "Innsbruck"),
    "ES": ("Algeciras", "Valencia", "Barcelona", "Madrid", "Málaga", "Sevilla", "Marbella", "Vigo", "Cádiz"),
    "CO": ("Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena", "Buenaventura", "Santa Marta"),
    "EC": ("Guayaquil", "Quito", "Manta", "Machala", "Esmeraldas"),
    "RO": ("București", "Timișoara", "Arad", "Constanța", "Cluj-Napoca", "Iași", "Oradea", "Giurgiu"),
    "BG": ("София", "Пловдив", "Варна", "Бургас", "Русе", "Хасково", "Свиленград", "Видин"),
    "HU": ("Budapest", "Szeged", "Győr", "Debrecen", "Hegyeshalom", "Röszke"),
    "RU": ("Москва", "Санкт-Петербург", "Калининград", "Ростов-на-Дону", "Краснодар"),
    "UA": ("Київ", "Одеса", "Харків", "Львів", "Дніпро"),
    "TR": ("İstanbul", "Edirne", "Ankara", "İzmir", "Gaziantep", "Mersin", "Kapıkule"),
    "AL": ("Tiranë", "Durrës", "Vlorë", "Shkodër", "Elbasan"),
    "NG": ("Lagos", "Abuja", "Port Harcourt", "Benin City", "Kano"),
    "MA": ("Casablanca", "Tanger", "Rabat", "Marrakech", "Nador", "Fès"),
    "SY": ("Aleppo", "Damascus", "Homs", "Idlib", "Latakia"),
    "IQ": ("Baghdad", "Erbil", "Mosul", "Basra", "Duhok"),
}

STREETS: dict[str, tuple[str, ...]] = {
    "NL": ("Havenstraat", "Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg", "Schoolstraat", "Nieuwe Binnenweg"),
    "BE": ("Kerkstraat", "Stationsstraat", "Rue de la Gare", "Nieuwstraat", "Kapelstraat", "Rue Haute"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße", "Dorfstraße", "Hafenstraße"),
    "AT": ("Hauptstraße", "Bahnhofstraße", "Wiener Straße", "Kirchengasse", "Grazer Straße"),
    "ES": ("Calle Mayor", "Calle Real", "Avenida del Puerto", "Calle de la Iglesia", "Calle Nueva", "Paseo Marítimo"),
    "CO": ("Calle 10", "Carrera 7", "Calle 72", "Carrera 43A", "Avenida Boyacá"),
    "EC": ("Avenida 9 de Octubre", "Calle Malecón", "Avenida Quito", "Calle Sucre"),
    "RO": ("Strada Mihai Eminescu", "Strada Libertății", "Bulevardul Unirii", "Strada Gării", "Strada Principală"),
    "BG": ("ул. Васил Левски", "бул. България", "ул. Христо Ботев", "ул. Раковски", "бул. Цар Освободител"),
    "HU": ("Fő utca", "Petőfi Sándor utca", "Kossuth Lajos utca", "Rákóczi út", "Dózsa György út"),
    "RU": ("ул. Ленина", "ул. Садовая", "Невский пр.", "ул. Мира"),
    "UA": ("вул. Шевченка", "вул. Хрещатик", "вул. Дерибасівська"),
    "TR": ("Atatürk Caddesi", "İstiklal Caddesi", "Cumhuriyet Caddesi", "Gazi Mustafa Kemal Bulvarı", "Liman Sokak"),
    "AL": ("Rruga e Durrësit", "Bulevardi Zogu I", "Rruga Myslym Shyri", "Rruga e Kavajës"),
    "NG": ("Allen Avenue", "Broad Street", "Adeola Odeku Street", "Awolowo Road"),
    "MA": ("Boulevard Mohammed V", "Rue Ibn Battouta", "Avenue Hassan II", "Derb Sultan"),
    "SY": ("Baron Street", "Al-Hamidiyah", "Shahba Street"),
    "IQ": ("Al-Rasheed Street", "Karrada", "Al-Mansour Street"),
}
