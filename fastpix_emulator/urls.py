"""The route table, as data: the spec's on-demand paths under /v1 and the emulator's own under /_emulator.

Order matters where a literal segment and a parameter share a place (`drm-configurations`, `uploads`
before `{mediaId}`)."""

from __future__ import annotations

from starlette.routing import Route

from . import responses as r

API_PREFIX = "/v1"
CONTROL_PREFIX = "/_emulator"

API_ROUTES = [
    Route("/on-demand", r.create_media, methods=["POST"]),
    Route("/on-demand", r.list_media, methods=["GET"]),
    Route("/on-demand/upload", r.create_upload, methods=["POST"]),
    Route("/on-demand/uploads", r.list_uploads, methods=["GET"]),
    Route("/on-demand/upload/{uploadId}/cancel", r.cancel_upload, methods=["PUT"]),
    Route("/on-demand/drm-configurations", r.list_drm_configurations, methods=["GET"]),
    Route("/on-demand/drm-configurations/{drmConfigurationId}", r.get_drm_configuration, methods=["GET"]),
    Route("/on-demand/{mediaId}", r.get_media, methods=["GET"]),
    Route("/on-demand/{mediaId}", r.update_media, methods=["PATCH"]),
    Route("/on-demand/{mediaId}", r.delete_media, methods=["DELETE"]),
    Route("/on-demand/{mediaId}/source-access", r.update_source_access, methods=["PATCH"]),
    Route("/on-demand/{mediaId}/update-mp4Support", r.update_mp4_support, methods=["PATCH"]),
    Route("/on-demand/{mediaId}/input-info", r.input_info, methods=["GET"]),
    Route("/on-demand/{mediaId}/playback-ids", r.create_playback_id, methods=["POST"]),
    Route("/on-demand/{mediaId}/playback-ids", r.list_playback_ids, methods=["GET"]),
    Route("/on-demand/{mediaId}/playback-ids", r.delete_playback_id, methods=["DELETE"]),
    Route("/on-demand/{mediaId}/playback-ids/{playbackId}", r.get_playback_id, methods=["GET"]),
    Route("/on-demand/{mediaId}/playback-ids/{playbackId}/domains", r.update_domain_restrictions, methods=["PATCH"]),
    Route("/on-demand/{mediaId}/playback-ids/{playbackId}/user-agents", r.update_user_agent_restrictions,
          methods=["PATCH"]),
    Route("/on-demand/{mediaId}/tracks", r.add_track, methods=["POST"]),
    Route("/on-demand/{mediaId}/tracks/{trackId}", r.update_track, methods=["PATCH"]),
    Route("/on-demand/{mediaId}/tracks/{trackId}", r.delete_track, methods=["DELETE"]),
    Route("/on-demand/{mediaId}/tracks/{trackId}/generate-subtitles", r.generate_subtitles, methods=["POST"]),
]

CONTROL_ROUTES = [
    Route("/health", r.health, methods=["GET"]),
    Route("/reset", r.reset, methods=["POST"]),
    Route("/journal", r.journal, methods=["GET"]),
    Route("/journal", r.clear_journal, methods=["DELETE"]),
    Route("/faults", r.list_faults, methods=["GET"]),
    Route("/faults", r.add_fault, methods=["POST"]),
    Route("/faults", r.clear_faults, methods=["DELETE"]),
    Route("/processing-delay", r.set_processing_delay, methods=["PUT"]),
    Route("/seed", r.seed, methods=["POST"]),
    Route("/drm-configurations", r.set_drm_configurations, methods=["PUT"]),
    # A direct upload's https URL, moved onto the emulator (see models.loopback_upload_url).
    Route("/storage/{bucket}/{workspaceId}/{uploadId}", r.receive_upload, methods=["PUT"], name="receive_upload"),
]
