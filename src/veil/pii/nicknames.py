"""Common English given-name nicknames, for matching records of one person ("Bob Smith" = "Robert Smith").

Each formal name maps to the short forms people write instead. :func:`canonical_given_names` maps any of
them to one representative, so that an exact comparison sees them as the same name.
"""
from __future__ import annotations

from functools import lru_cache

#: formal name -> short forms (lower case). A short form shared by two formal names ("chris") maps to the
#: first listed; the fuzzy comparison still sees "christina" close to "christopher".
NICKNAMES: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "abbie", "gail"), "albert": ("al", "bert"), "alexander": ("alex", "al", "sasha"),
    "alexandra": ("alex", "sandra", "lexi"), "alfred": ("al", "alf", "fred"), "allison": ("ally", "allie"),
    "andrew": ("andy", "drew"), "angela": ("angie",), "anthony": ("tony",), "arthur": ("art",),
    "barbara": ("barb", "babs"), "benjamin": ("ben", "benny"), "bernard": ("bernie",), "beverly": ("bev",),
    "bradley": ("brad",), "cameron": ("cam",), "catherine": ("cathy", "cat", "kate"),
    "charles": ("charlie", "chuck", "chas"), "christina": ("tina", "chrissy"), "christine": ("chris",),
    "christopher": ("chris", "kit"), "cynthia": ("cindy",), "daniel": ("dan", "danny"), "david": ("dave", "davy"),
    "deborah": ("debbie", "deb", "debra"), "donald": ("don", "donnie"), "dorothy": ("dot", "dottie"),
    "douglas": ("doug",), "edward": ("ed", "eddie", "ted", "ned"), "eleanor": ("ellie", "nora"),
    "elizabeth": ("liz", "beth", "betsy", "betty", "lizzie", "eliza"), "emily": ("em", "emmy"),
    "eugene": ("gene",), "frances": ("fran", "frannie"), "francis": ("frank",), "frederick": ("fred", "freddie"),
    "gabriel": ("gabe",), "gerald": ("jerry", "gerry"), "gregory": ("greg",), "harold": ("hal", "harry"),
    "henry": ("hank", "harry"), "jacob": ("jake",), "james": ("jim", "jimmy", "jamie"), "janet": ("jan",),
    "jeffrey": ("jeff",), "jennifer": ("jen", "jenny", "jenn"), "jessica": ("jess", "jessie"),
    "john": ("jack", "johnny", "jon"), "jonathan": ("jon", "jonny", "nathan"), "joseph": ("joe", "joey"),
    "joshua": ("josh",), "judith": ("judy",), "katherine": ("kate", "kathy", "katie", "kat", "kay"),
    "kathleen": ("kathy", "kate"), "kenneth": ("ken", "kenny"), "kimberly": ("kim", "kimmy"),
    "lawrence": ("larry",), "leonard": ("leo", "len", "lenny"), "louis": ("lou",), "madeline": ("maddie",),
    "margaret": ("maggie", "peggy", "meg", "marge", "greta"), "matthew": ("matt", "matty"),
    "michael": ("mike", "mikey", "mick"), "mitchell": ("mitch",), "nathaniel": ("nate", "nat"),
    "nicholas": ("nick", "nicky"), "nicole": ("nikki",), "pamela": ("pam",), "patricia": ("pat", "patty", "trish"),
    "patrick": ("pat", "paddy"), "peter": ("pete",), "philip": ("phil",), "raymond": ("ray",),
    "rebecca": ("becky", "becca"), "richard": ("rick", "dick", "rich", "richie", "ricky"),
    "robert": ("bob", "rob", "bobby", "robbie", "bert"), "ronald": ("ron", "ronnie"), "samantha": ("sam", "sammy"),
    "samuel": ("sam", "sammy"), "sandra": ("sandy",), "stephanie": ("steph",), "stephen": ("steve",),
    "steven": ("steve", "stevie"), "susan": ("sue", "susie"), "theodore": ("ted", "teddy", "theo"),
    "thomas": ("tom", "tommy"), "timothy": ("tim", "timmy"), "victoria": ("vicky", "tori"), "vincent": ("vince",),
    "walter": ("walt",), "william": ("bill", "will", "billy", "willy", "liam"), "zachary": ("zach", "zack"),
}


@lru_cache(maxsize=1)
def _canonical() -> dict[str, str]:
    out: dict[str, str] = {}
    for formal, shorts in NICKNAMES.items():
        out.setdefault(formal, formal)
        for short in shorts:
            out.setdefault(short, formal)
    return out


def canonical_given_name(name: str) -> str:
    """The representative of a lower-case given name: 'bob' -> 'robert'; unknown names map to themselves."""
    return _canonical().get(name, name)
