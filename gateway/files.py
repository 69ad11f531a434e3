"""Files that a service sends as a stream of messages (content_type and filename in the first, the bytes
in every one), answered as a download."""

from fastapi.responses import StreamingResponse
from grpc.aio import UnaryStreamCall

FILE_TIMEOUT = 60.0  # seconds for a whole file: the largest are 100,000 audit records or a 50 MB report


async def download(call: UnaryStreamCall, field: str) -> StreamingResponse:
    """The file `call` streams, its bytes in each message's `field`. The first message is awaited before
    answering, so that a refusal (404, 409, ...) is an error answer rather than a broken download."""
    first = await call.read()

    async def pieces():
        yield getattr(first, field)
        async for message in call:
            yield getattr(message, field)

    return StreamingResponse(pieces(), media_type=first.content_type,
                             headers={"Content-Disposition": f'attachment; filename="{first.filename}"'})
