"""Media engine: plain Python, no Home Assistant imports.

Data path, one camera:

    RTSP stream --(reader.StreamReader: one thread, one session)--> packets --> decoder --> frames
        frames  --> stills.StillImageSource (newest frame, JPEG on request, once per new frame)
        stats   --> StreamStats (fps, bitrate, resolution, codec, last frame time, reconnects)
        (later) --> motion / tamper detection, recording

`site.Site` owns every camera's readers and is what the Home Assistant layer talks to.
"""
