"""Where a message goes: its category from the active model, its place, its department.

The active classifier is loaded once per process and reloaded when another
version is activated (the version number and digest are checked on every
use, one indexed query). The place resolver is built once per city and
alias set. Routing is automatic only when the model is at least
``HOTLINE_CONFIDENCE`` sure and a routing rule names a department;
otherwise the case waits in the dispatcher queue with the suggestion.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from zhengtong.core.models import Department, Region
from zhengtong.hotline.models import ClassifierVersion, PlaceAlias, RoutingRule
from zhengtong.hotline.places import PlaceMatch, PlaceResolver
from zhengtong.hotline.routing_model import Prediction, RoutingModel, load_model

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


def city_region() -> Region | None:
    """Return the city whose districts the hotline routes to: that of the city-wide rules."""
    rule = (
        RoutingRule.objects.filter(region__level=2).select_related("region").order_by("pk").first()
    )
    return rule.region if rule is not None else None


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


def department_for(
    category: str, district_code: str | None, city: Region | None = None
) -> Department | None:
    """Return the district's department for the category, else the city's.

    ``city`` saves looking it up again when the caller already has it.
    """
    if not category:
        return None
    codes = [district_code] if district_code else []
    city = city or city_region()
    if city is not None:
        codes.append(city.code)
    rules = {
        rule.region_id: rule
        for rule in RoutingRule.objects.filter(category=category, region_id__in=codes)
        .select_related("department")
        .filter(department__is_active=True)
    }
    for code in codes:
        if code in rules:
            return rules[code].department
    return None


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
    if prediction is not None:
        district = place.district_code if place else None
        department = department_for(prediction.label, district, city)
    automatic = (
        prediction is not None
        and department is not None
        and prediction.confidence >= confidence_threshold()
        and not (place is not None and place.ambiguous)
    )
    return Suggestion(
        prediction=prediction,
        version=version.number if version is not None else None,
        place=place,
        department=department,
        automatic=automatic,
    )
