"""Where a message goes: its category from the active model, its place, its department.

The active classifier is loaded once per process and reloaded when another
version is activated (the version number and digest are checked on every
use, one indexed query). The place resolver is built once per city and
alias set. The routing rules turn the category, the district and, for the
topics a category's rules carve out by keyword (the buses of 城乡建设 go to
the transport bureau), the message's words into a department. Routing is
automatic only when the model is at least ``HOTLINE_CONFIDENCE`` sure, a
routing rule names a department and the text names no place outside the city
(that message may be another city's, for the centre to transfer); otherwise
the case waits in the dispatcher queue with the suggestion.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from zhengtong.core.models import Department, Region, RegionLevel
from zhengtong.hotline.models import ClassifierVersion, PlaceAlias, RoutingRule
from zhengtong.hotline.places import PlaceMatch, PlaceResolver
from zhengtong.hotline.routing_model import Prediction, RoutingModel, load_model
from zhengtong.hotline.selectors import handling_departments

_lock = threading.Lock()
_model_cache: dict[tuple[int, str], RoutingModel] = {}
_resolver_cache: dict[tuple[str, tuple[tuple[str, str], ...]], PlaceResolver] = {}


def model_directory() -> Path:
    path = Path(settings.DATA_DIR) / "hotline-models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def active_version() -> ClassifierVersion | None:
    return ClassifierVersion.objects.filter(is_active=True).first()


def model_of(version: ClassifierVersion) -> RoutingModel:
    """Return the fitted model of a version, loading and checking its file once."""
    key = (version.number, version.sha256)
    with _lock:
        model = _model_cache.get(key)
        if model is None:
            model = load_model(model_directory() / version.file_name, version.sha256)
            # Only the versions in use stay loaded: a model is tens of megabytes.
            _model_cache.clear()
            _model_cache[key] = model
        return model


@dataclass(frozen=True, slots=True)
class Suggestion:
    prediction: Prediction | None
    version: int | None
    place: PlaceMatch | None
    department: Department | None
    automatic: bool
    # The topic of the category whose rule gave the department ("" for the category's own).
    topic: str = ""
    # Whether someone at the department can sign for a case (``handling_departments``).
    department_handles: bool = False


def city_region() -> Region | None:
    """Return the city whose districts the hotline routes to: that of the city-wide rules."""
    rule = (
        RoutingRule.objects.filter(region__level=2).select_related("region").order_by("pk").first()
    )
    return rule.region if rule is not None else None


def city_districts() -> QuerySet[Region]:
    """The districts (区县) of the city the hotline routes to (a lazy query, as ``city_region``)."""
    city = RoutingRule.objects.filter(region__level=2).order_by("pk").values("region")[:1]
    return Region.objects.filter(parent__in=city, level=RegionLevel.COUNTY).order_by("code")


def resolver_for(city: Region) -> PlaceResolver:
    aliases = tuple(
        sorted(
            PlaceAlias.objects.filter(region__path__startswith=city.path).values_list(
                "name", "region_id"
            )
        )
    )
    key = (city.code, aliases)
    with _lock:
        resolver = _resolver_cache.get(key)
        if resolver is None:
            resolver = PlaceResolver(city.code, dict(aliases))
            _resolver_cache.clear()
            _resolver_cache[key] = resolver
        return resolver


@dataclass(frozen=True, slots=True)
class RuleMatch:
    department: Department
    # The topic whose keyword the message named, "" for the category's own rule.
    topic: str = ""
    keyword: str = ""


def _normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


_SENTENCE_END = re.compile(r"[。！？!?；;]")
# Phrases that use a stop or a station as a landmark for where something else
# is ("距公交站两百米", "地铁站旁边的小区"): the matter is not the bus or the metro.
_LANDMARK = re.compile(
    r"(?:距离|距|离|靠近|临近|紧邻|毗邻|紧挨|挨着|邻近)[^，。；,;！？!?、\s]{0,20}"
    r"|[^，。；,;！？!?、\s]{0,20}?(?:站台|站点|站|路口)"
    r"(?:旁边|旁|边上|附近|对面|周边|周围|门口|出口|不远处|不远)"
)


def subject_of(text: str) -> str:
    """Return what a message is about: its title, else its first sentence, without landmarks.

    ``text`` is the title and the body separated by a line break (a body alone
    without one). A topic's keyword anywhere in a long message says little
    ("距公交站两百米的小区违章搭建" is about building), so topics are read
    where the citizen states the matter.
    """
    title, _, body = text.partition("\n") if "\n" in text else ("", "", text)
    subject = title.strip() or _SENTENCE_END.split(body.strip(), maxsplit=1)[0]
    return _LANDMARK.sub("，", subject)


class RuleBook:
    """The active departments' routing rules, read once for a batch of look-ups.

    For a category and a district: a rule for one of the category's topics
    whose keyword the message's subject names (``subject_of``: the title, or
    the first sentence; the district's rule before the city's), else
    the category's own rule (the district's before the city's). The topic
    comes first because it says that another bureau is responsible for the
    matter, which a district branch of the category's bureau is not.
    """

    def __init__(self, city: Region | None) -> None:
        self.city = city
        self._rules: dict[str, list[RoutingRule]] = {}
        for rule in (
            RoutingRule.objects.filter(department__is_active=True)
            .select_related("department")
            .order_by("pk")
        ):
            self._rules.setdefault(rule.category, []).append(rule)

    def match(self, category: str, district_code: str | None, text: str = "") -> RuleMatch | None:
        if not category:
            return None
        codes = [district_code] if district_code else []
        if self.city is not None:
            codes.append(self.city.code)
        rules = self._rules.get(category, [])
        normalised = _normalised(subject_of(text))
        if normalised:
            for code in codes:
                for rule in rules:
                    if rule.region_id != code or not rule.topic:
                        continue
                    for keyword in rule.keyword_list:
                        if _normalised(keyword) in normalised:
                            return RuleMatch(rule.department, rule.topic, keyword)
        for code in codes:
            for rule in rules:
                if rule.region_id == code and not rule.topic:
                    return RuleMatch(rule.department)
        return None

    def department_for(
        self, category: str, district_code: str | None, text: str = ""
    ) -> Department | None:
        found = self.match(category, district_code, text)
        return found.department if found is not None else None


def department_for(
    category: str, district_code: str | None, city: Region | None = None, *, text: str = ""
) -> Department | None:
    """Return the department for the category (and, by its keywords, topic) of a message.

    ``text`` is the message's title and body, read for the topics' keywords;
    ``city`` saves looking it up again when the caller already has it. For
    many look-ups at once, read a ``RuleBook`` once instead.
    """
    if not category:
        return None
    return RuleBook(city or city_region()).department_for(category, district_code, text)


def confidence_threshold() -> float:
    return float(settings.HOTLINE_CONFIDENCE)


def suggest(location_text: str, title: str, content: str) -> Suggestion:
    """Return the model's category, the place and the department for a message."""
    version = active_version()
    prediction = None
    if version is not None:
        prediction = model_of(version).predict_one(title, content)
    # One look-up of the city serves both the place and the department.
    city = city_region()
    place = resolver_for(city).resolve(location_text, title, content) if city else None
    department = None
    topic = ""
    handles = False
    if prediction is not None:
        district = place.district_code if place else None
        found = RuleBook(city).match(prediction.label, district, f"{title}\n{content}")
        if found is not None:
            department, topic = found.department, found.topic
            # A case sent where nobody can sign for it could neither be signed
            # for nor returned, and a dispatcher cannot send an assigned case
            # on: it would wait for ever. Such a message goes to a dispatcher,
            # as a dispatcher's own choice of that department is refused.
            handles = handling_departments().filter(pk=department.pk).exists()
    automatic = (
        prediction is not None
        and department is not None
        and handles
        and prediction.confidence >= confidence_threshold()
        and not (place is not None and (place.ambiguous or place.outside))
    )
    return Suggestion(
        prediction=prediction,
        version=version.number if version is not None else None,
        place=place,
        department=department,
        automatic=automatic,
        topic=topic,
        department_handles=handles,
    )
