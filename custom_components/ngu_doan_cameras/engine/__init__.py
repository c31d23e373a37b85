"""Media engine: plain Python, no Home Assistant imports.

Data path, one camera:

    RTSP stream --(reader.StreamReader: one thread, one session)--> video + audio packets
        packets --> packets.PacketFanout --> media.PacketSink (recording: sessions, owned copies)
        video   --> decoder --> frames
        frames  --> stills.StillImageSource (newest frame, JPEG on request, once per new frame)
        frames  --> detection.CameraDetection (motion / tamper)
        stats   --> StreamStats (fps, bitrate, resolution, codec, last frame time, reconnects)

A camera with a sub stream watches (decodes) the sub stream; its main stream's packets come from a
second, packet-only reader, opened only when a sink wants them. `site.Site` owns every camera's readers
and is what the Home Assistant layer talks to.
"""
