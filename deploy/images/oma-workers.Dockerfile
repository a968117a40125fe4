# syntax=docker/dockerfile:1
# The OmaWorkers host. Build from the repository root:
#   docker build -f deploy/images/oma-workers.Dockerfile -t registry.example.com/migration/oma-workers:1.0.0 .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish OmaWorkers/OmaWorkers.csproj -c Release -o /app --no-self-contained

# Chiseled: no shell, no package manager, runs as the non-root user 1654 the manifests' securityContext names.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app .
USER 1654
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "OmaWorkers.dll"]
