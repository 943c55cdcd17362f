"""Appointments, window capacity and call records in SQLite or PostgreSQL."""

from hvac_agent.booking.db import create_engine, make_async_url, migrate
from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.schemas import AppointmentOut, CallRecordOut
from hvac_agent.booking.service import BookingService

__all__ = [
    "AppointmentOut",
    "BookingService",
    "BookingUnavailable",
    "CallRecordOut",
    "CallRecords",
    "create_engine",
    "make_async_url",
    "migrate",
]
