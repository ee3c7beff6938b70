# A bare repository with two branches, a lightweight and an annotated tag, made with fixed
# dates and names so both programs see the same commit ids.
set -e
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t
export GIT_COMMITTER_EMAIL=t@example.invalid GIT_AUTHOR_DATE='2024-01-01T00:00:00Z'
export GIT_COMMITTER_DATE='2024-01-01T00:00:00Z' GIT_CONFIG_NOSYSTEM=1 HOME="$PWD"
git init -q --bare -b main repo.git
git init -q -b main work
cd work
echo one >a.txt
git add a.txt
git commit -qm one
git tag v1
echo two >>a.txt
git commit -qam two
git tag -a v2 -m 'annotated'
git checkout -qb dev
echo dev >d.txt
git add d.txt
git commit -qm dev
git push -q ../repo.git main dev v1 v2
cd ..
rm -rf work
