"""The portal's later pages, gathered for the composition root (web/app.py includes ``ROUTERS``)."""

from __future__ import annotations

from fastapi import APIRouter

from shaffof.web.ui import admin, answer, integrity_forms, public

ROUTERS: tuple[APIRouter, ...] = (integrity_forms.router, answer.router, public.router, admin.router)
