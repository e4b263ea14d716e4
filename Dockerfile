# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /app
RUN python -m venv /venv
COPY requirements.txt .
RUN /venv/bin/pip install --no-cache-dir -r requirements.txt  # the runtime set; the test tools are in requirements-dev.txt

FROM python:3.11-slim AS runtime
ENV PATH="/venv/bin:$PATH" PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=octant.settings.base
RUN useradd --create-home octant
WORKDIR /app
COPY --from=build /venv /venv
COPY . .
ARG GIT_COMMIT=""
ENV GIT_COMMIT=$GIT_COMMIT
RUN DEBUG=1 DATABASE_URL=postgres:///unused python manage.py collectstatic --noinput -v0 && chown -R octant /app  # no database is read
USER octant
EXPOSE 8000
CMD ["python", "scripts/serve.py", "--port", "8000"]
