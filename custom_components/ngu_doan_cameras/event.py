"""An event entity per camera: its alerts, as they are raised (automations, logbook, history)."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alert_log import Alert, AlertChange, AlertKind, AlertLog
from .coordinator import SiteCoordinator
from .data import NguDoanConfigEntry
from .entity import AvailableWhileDownMixin, add_camera_entities

PARALLEL_UPDATES = 0

ALERT_EVENT = EventEntityDescription(
    key="alert",
    translation_key="alert",
    event_types=[kind.value for kind in AlertKind],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the alert event entity of every camera of the site."""
    alerts = entry.runtime_data.alerts
    add_camera_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry: [CameraAlertEvent(coordinator, subentry, alerts)],
    )


class CameraAlertEvent(AvailableWhileDownMixin, EventEntity):
    """A camera's alerts (available while the camera is down: that is when some of them come)."""

    def __init__(self, coordinator: SiteCoordinator, subentry: ConfigSubentry, alerts: AlertLog) -> None:
        super().__init__(coordinator, subentry, ALERT_EVENT)
        self._alerts = alerts

    async def async_added_to_hass(self) -> None:
        """Listen to the site's alert log."""
        await super().async_added_to_hass()
        self.async_on_remove(self._alerts.async_subscribe(self._async_alert_changed))

    @callback
    def _async_alert_changed(self, alert: Alert, change: AlertChange) -> None:
        if change is not AlertChange.RAISED or alert.camera_id != self.camera_id:
            return
        self._trigger_event(
            alert.kind.value,
            {
                "alert_id": alert.alert_id,
                "message": alert.message,
                "snapshot": alert.snapshot,
                "zone": alert.zone,
                "detail": alert.detail,
            },
        )
        self.async_write_ha_state()
