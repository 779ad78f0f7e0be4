"""The FastAPI app: shop page with chat, product API, health."""
