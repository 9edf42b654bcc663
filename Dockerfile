# One image for every placewatch service (poller, worker, api); docker-compose.yml picks the command.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY monitor monitor
COPY workers workers
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e . && placewatch gazetteer build --quiet
ENV PLACEWATCH_LOG_FORMAT=json
ENTRYPOINT ["placewatch"]
CMD ["run"]
